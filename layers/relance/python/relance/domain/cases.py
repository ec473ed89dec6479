"""Cases: one escalation per customer and currency, from the first reminder to the hand-off.

The debtor is the customer. Its overdue invoices of one currency form one case, which climbs the policy's
ladder one step at a time: the offsets count from the due date of the case's oldest invoice being chased,
with the policy's spacing after the previous step, never skipping, never going back. Invoices join the case
when they fall overdue and are listed in its next message; paid, cancelled and written-off ones leave it; a
disputed, paused or planned invoice stays in the case (it is still owed) but is not chased, and the case goes
on for the rest. The formal notice, the suspension and the hand-off happen once per case.

A case closes when nothing of its currency is overdue any more. After its hand-off a case stops reminding
(the agency or the court has it) until every invoice it handed off is settled or a person reopens it;
invoices falling overdue meanwhile wait in a HELD case, which opens when the handed-off one ends.

Everything here is pure: the writers (the worker, ingest, the levers) call `reconcile` on the book as they
are about to save it, and log the changes it returns.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal

from relance.domain.amounts import ZERO
from relance.domain.calendar import BusinessCalendar
from relance.domain.models import (
    SETTLED_STATUSES,
    Case,
    CaseMessage,
    CaseState,
    Customer,
    DunningState,
    Invoice,
    InvoiceStatus,
    MessageKind,
)
from relance.domain.policy import Action, Policy, Step

ONE_DAY = timedelta(days=1)


def is_settled(invoice: Invoice) -> bool:
    """Nothing is owed any more: the invoice leaves its case for good."""
    return invoice.status in SETTLED_STATUSES or invoice.balance <= ZERO


def is_overdue(invoice: Invoice, day: date) -> bool:
    return not is_settled(invoice) and invoice.due_date < day


def chase_block(invoice: Invoice, day: date) -> str | None:
    """Why an invoice that is owed is not chased on `day` (it stays in its case); None when it is chased."""
    if invoice.status is InvoiceStatus.DISPUTED:
        return f"invoice {invoice.invoice_id} is disputed" + (
            f" ({invoice.pause_reason})" if invoice.pause_reason else ""
        )
    if invoice.status is InvoiceStatus.PLAN:
        return f"invoice {invoice.invoice_id} is under a payment plan"
    if invoice.paused_until is not None and day <= invoice.paused_until:
        why = f" ({invoice.pause_reason})" if invoice.pause_reason else ""
        return f"invoice {invoice.invoice_id} is paused until {invoice.paused_until.isoformat()}{why}"
    return None


def chased_from(invoice: Invoice, day: date) -> date | None:
    """The first day on or after `day` the invoice is chased again by itself; None while a person must act."""
    if is_settled(invoice) or invoice.status in {InvoiceStatus.DISPUTED, InvoiceStatus.PLAN}:
        return None
    if invoice.paused_until is not None and day <= invoice.paused_until:
        return invoice.paused_until + ONE_DAY
    return day


def in_case(case: Case, invoice: Invoice, cases: Sequence[Case]) -> bool:
    """Whether the owed invoice belongs to `case` rather than to another case of its currency.

    A handed-off case keeps exactly what it handed off; what fell overdue since belongs to the held case.
    """
    if invoice.currency != case.currency:
        return False
    if case.state is CaseState.HANDED_OFF:
        return invoice.invoice_id in case.handed_off
    blocking = next(
        (other for other in cases if other.currency == case.currency and other.state is CaseState.HANDED_OFF),
        None,
    )
    if case.state is CaseState.HELD:
        return blocking is not None and invoice.invoice_id not in blocking.handed_off
    return blocking is None


def owed(case: Case, invoices: Iterable[Invoice], cases: Sequence[Case], day: date) -> list[Invoice]:
    """The case's overdue invoices on `day`, chased or not, oldest first."""
    return sorted(
        (invoice for invoice in invoices if is_overdue(invoice, day) and in_case(case, invoice, cases)),
        key=lambda item: (item.due_date, item.invoice_id),
    )


def chased(case: Case, invoices: Iterable[Invoice], cases: Sequence[Case], day: date) -> list[Invoice]:
    """The invoices the case's message lists and chases on `day`: owed, and neither disputed nor paused."""
    return [invoice for invoice in owed(case, invoices, cases, day) if chase_block(invoice, day) is None]


# Opening, holding and closing.


@dataclass(frozen=True)
class CaseChange:
    """A case opened, held, released or closed: logged by whoever saves the book."""

    case: Case
    change: str
    """opened | held | released (a held case opens) | closed | reopened."""
    reason: str
    invoice_ids: tuple[str, ...] = ()


def new_case_id(customer: Customer, currency: str) -> str:
    return f"{customer.customer_id}-{currency}-{customer.cases_opened + 1}"


def _open(customer: Customer, currency: str, invoices: Sequence[Invoice], state: CaseState) -> Customer:
    case = Case(
        case_id=new_case_id(customer, currency),
        currency=currency,
        # The day its first invoice fell overdue, whenever the engine first looked.
        opened_on=min(invoice.due_date for invoice in invoices) + ONE_DAY,
        state=state,
    )
    return replace(customer, cases=(*customer.cases, case), cases_opened=customer.cases_opened + 1)


def _replace_case(customer: Customer, old: Case, new: Case | None) -> Customer:
    cases = tuple(
        new if case.case_id == old.case_id else case for case in customer.cases if new or case != old
    )
    return replace(customer, cases=tuple(case for case in cases if case is not None))


def reconcile(
    customer: Customer, invoices: Sequence[Invoice], day: date
) -> tuple[Customer, tuple[CaseChange, ...]]:
    """The customer's cases as the book stands on `day`: opened where something fell overdue, closed where
    nothing is owed any more, a held case opened behind a hand-off and released when it ends.

    Idempotent: reconciling a reconciled customer changes nothing.
    """
    changes: list[CaseChange] = []
    currencies = sorted(
        {invoice.currency for invoice in invoices if is_overdue(invoice, day)}
        | {case.currency for case in customer.cases}
    )
    for currency in currencies:
        customer = _reconcile_currency(customer, invoices, currency, day, changes)
    return customer, tuple(changes)


def _reconcile_currency(
    customer: Customer, invoices: Sequence[Invoice], currency: str, day: date, changes: list[CaseChange]
) -> Customer:
    overdue = [invoice for invoice in invoices if invoice.currency == currency and is_overdue(invoice, day)]
    main = customer.case_for(currency)
    held = customer.case_for(currency, CaseState.HELD)
    if main is not None and main.state is CaseState.HANDED_OFF:
        still = [invoice for invoice in overdue if invoice.invoice_id in main.handed_off]
        if not still:
            customer = _replace_case(customer, main, None)
            changes.append(CaseChange(main, "closed", "every invoice handed off is settled"))
            main = None
    elif main is not None and not overdue:
        customer = _replace_case(customer, main, None)
        changes.append(CaseChange(main, "closed", f"nothing in {currency} is overdue any more"))
        main = None

    if main is not None and main.state is CaseState.HANDED_OFF:
        waiting = [invoice for invoice in overdue if invoice.invoice_id not in main.handed_off]
        if waiting and held is None:
            customer = _open(customer, currency, waiting, CaseState.HELD)
            held = customer.cases[-1]
            changes.append(
                CaseChange(
                    held,
                    "held",
                    f"case {main.case_id} is with collection: new overdue invoices wait until it ends",
                    tuple(invoice.invoice_id for invoice in waiting),
                )
            )
        elif held is not None and not waiting:
            customer = _replace_case(customer, held, None)
            changes.append(CaseChange(held, "closed", f"nothing in {currency} waits behind {main.case_id}"))
        return customer

    if main is None and held is not None:
        if overdue:
            released = replace(held, state=CaseState.OPEN, opened_on=max(held.opened_on, day))
            customer = _replace_case(customer, held, released)
            changes.append(
                CaseChange(
                    released, "released", "the case ahead of it ended: it escalates from its first step"
                )
            )
            return customer
        customer = _replace_case(customer, held, None)
        changes.append(CaseChange(held, "closed", f"nothing in {currency} is overdue any more"))
        return customer
    if main is None and overdue:
        customer = _open(customer, currency, overdue, CaseState.OPEN)
        changes.append(
            CaseChange(
                customer.cases[-1],
                "opened",
                "an invoice fell overdue",
                tuple(
                    invoice.invoice_id
                    for invoice in sorted(overdue, key=lambda i: (i.due_date, i.invoice_id))
                ),
            )
        )
    return customer


def reopen(customer: Customer, currency: str, day: date) -> tuple[Customer, tuple[CaseChange, ...]]:
    """A person takes a handed-off case back: it ends, and what is still owed escalates in a fresh case.

    Raises ValueError when the customer has no handed-off case in that currency.
    """
    main = customer.case_for(currency, CaseState.HANDED_OFF)
    if main is None:
        raise ValueError(f"customer {customer.customer_id} has no case with collection in {currency}")
    customer = _replace_case(customer, main, None)
    changes = [CaseChange(main, "reopened", "taken back from collection by a person")]
    held = customer.case_for(currency, CaseState.HELD)
    if held is not None:
        customer = _replace_case(customer, held, None)
        changes.append(CaseChange(held, "closed", f"its invoices escalate with those of {main.case_id}"))
    return customer, tuple(changes)


# The ladder.


def next_step(case: Case, policy: Policy) -> tuple[int, Step] | None:
    """The case's next ladder step and its index, ignoring dates and invoices; None at the ladder's end."""
    index = len(case.steps)
    return (index, policy.ladder[index]) if index < len(policy.ladder) else None


def letter_step(policy: Policy) -> Step | None:
    """The policy's formal-notice step (the last ladder step that writes a letter)."""
    letters = [step for step in policy.ladder if Action.LETTER in step.actions]
    return letters[-1] if letters else None


def catch_up_step(step: Step) -> Step:
    """The current level again, by email only: it names invoices so that the notice may cover them."""
    return replace(step, actions=frozenset({Action.EMAIL}), deadline_days=None, min_balance=ZERO)


SUPPLEMENTARY_NOTICE = "supplementary_notice"


def supplementary_step(letter: Step) -> Step:
    """The formal notice again (its template and deadline), for the invoices that joined since."""
    return replace(
        letter, id=SUPPLEMENTARY_NOTICE, actions=frozenset({Action.EMAIL, Action.LETTER}), min_balance=ZERO
    )


def earliest_after(case: Case, step: Step, anchor: date, postal_delay_days: int) -> date:
    """The first day the step may be taken for a case whose oldest chased invoice fell due on `anchor`.

    The offset counts from that due date; the spacing from the case's previous message. After a formal
    notice the spacing counts from the letter's recorded receipt, else from its posting (or the notice's
    day) plus the postal delay: the notice's deadline runs from receipt.
    """
    # A case exists only once something is overdue: its first step is never before the day after.
    earliest = max(anchor + timedelta(days=step.offset_days), anchor + ONE_DAY)
    previous = case.last_message
    if previous is None:
        return earliest
    base = previous.on
    if previous.letter:
        received = case.letter.received_on
        base = received or (case.letter.posted_on or previous.on) + timedelta(days=postal_delay_days)
        base = max(base, previous.on)
    return max(earliest, base + timedelta(days=step.min_days_since_previous), previous.on + ONE_DAY)


@dataclass(frozen=True)
class CaseAction:
    """A case's message today: the step, the invoices it lists and, for a formal notice, those it covers."""

    case: Case
    step: Step
    kind: MessageKind
    rank: int
    invoices: tuple[Invoice, ...]
    letter_invoices: tuple[Invoice, ...] = ()
    held_back: tuple[Invoice, ...] = ()
    """Invoices the case owes but does not chase today (disputed, paused, planned): not in the message,
    but a hand-off keeps them with the case rather than letting them open a held one."""

    @property
    def invoice_ids(self) -> tuple[str, ...]:
        return tuple(invoice.invoice_id for invoice in self.invoices)


@dataclass(frozen=True)
class CaseWait:
    """Why a case sends nothing today: shown in the log and the preview."""

    case: Case
    reason: str


def case_today(
    case: Case,
    cases: Sequence[Case],
    invoices: Sequence[Invoice],
    policy: Policy,
    calendar: BusinessCalendar,
    today: date,
    messages_from: date | None,
    postal_delay_days: int,
) -> CaseAction | CaseWait | None:
    """The case's message today, why it waits, or None when it has nothing left to do."""
    if case.state is CaseState.HANDED_OFF:
        return CaseWait(case, f"case {case.case_id} is with collection since its hand-off; nothing is sent")
    if case.state is CaseState.HELD:
        return CaseWait(case, f"case {case.case_id} waits for the handed-off case of {case.currency} to end")
    if case.paused_on(today):
        until = f"until {case.paused_until.isoformat()}" if case.paused_until else "until a person resumes it"
        return CaseWait(case, f"case {case.case_id} is paused {until} ({case.pause_reason})")
    upcoming = next_step(case, policy)
    if upcoming is None:
        return None
    members = chased(case, invoices, cases, today)
    if not members:
        blocked = [chase_block(invoice, today) for invoice in owed(case, invoices, cases, today)]
        return CaseWait(case, "nothing to chase: " + "; ".join(reason for reason in blocked if reason))
    action = _action(case, upcoming, members, policy)
    if isinstance(action, CaseWait):
        return action
    chased_ids = {invoice.invoice_id for invoice in members}
    held_back = tuple(i for i in owed(case, invoices, cases, today) if i.invoice_id not in chased_ids)
    action = replace(action, held_back=held_back)
    balance = sum((invoice.balance for invoice in members), ZERO)
    if balance < action.step.min_balance:
        return CaseWait(
            case,
            f"balance {balance} {case.currency} is below the minimum {action.step.min_balance} of step "
            f"'{action.step.id}'; escalation stops here",
        )
    earliest = earliest_after(case, action.step, members[0].due_date, postal_delay_days)
    if action.step.sends_message and messages_from is not None:
        earliest = max(earliest, messages_from)
    act_on = calendar.next_open(max(earliest, today))
    if act_on != today:
        return CaseWait(case, f"case {case.case_id}: step '{action.step.id}' on {act_on.isoformat()}")
    return action


def _action(
    case: Case, upcoming: tuple[int, Step], members: Sequence[Invoice], policy: Policy
) -> CaseAction | CaseWait:
    """The message the next step makes of today's members: the step itself, a catch-up or a supplement."""
    rank, step = upcoming
    if Action.LETTER in step.actions:
        covered = tuple(m for m in members if policy.notice_unnamed_invoices or case.named(m.invoice_id))
        if not covered:
            last = case.last_step
            if last is None:
                return CaseWait(case, f"case {case.case_id}: no invoice can be put on notice yet")
            repeated = policy.ladder[policy.ladder_index(last.step)]
            return CaseAction(
                case,
                catch_up_step(repeated),
                MessageKind.CATCH_UP,
                policy.ladder_index(last.step),
                tuple(members),
            )
        return CaseAction(case, step, MessageKind.STEP, rank, tuple(members), covered)
    if Action.HANDOFF in step.actions and policy.supplementary_notice and case.noticed:
        letter = letter_step(policy)
        joined = tuple(m for m in members if m.invoice_id not in case.noticed and case.named(m.invoice_id))
        if letter is not None and joined and case.message_of(MessageKind.SUPPLEMENTARY) is None:
            # It goes just before the hand-off, at that stage: ranked with it, never below the suspension.
            return CaseAction(
                case, supplementary_step(letter), MessageKind.SUPPLEMENTARY, rank, tuple(members), joined
            )
    return CaseAction(case, step, MessageKind.STEP, rank, tuple(members))


def after_action(case: Case, action: CaseAction, day: date) -> Case:
    """The case once its message of `day` is done: one more message, notices and hand-off recorded."""
    message = CaseMessage(
        step=action.step.id,
        on=day,
        invoice_ids=action.invoice_ids,
        kind=action.kind,
        letter=Action.LETTER in action.step.actions,
    )
    if message in case.messages:
        return case
    noticed = case.noticed + tuple(
        invoice.invoice_id for invoice in action.letter_invoices if invoice.invoice_id not in case.noticed
    )
    updated = replace(case, messages=(*case.messages, message), noticed=noticed)
    if Action.HANDOFF in action.step.actions and action.kind is MessageKind.STEP:
        kept = action.invoice_ids + tuple(invoice.invoice_id for invoice in action.held_back)
        updated = replace(updated, state=CaseState.HANDED_OFF, handed_off=kept)
    return updated


def case_next_date(
    case: Case,
    cases: Sequence[Case],
    invoices: Sequence[Invoice],
    policy: Policy,
    calendar: BusinessCalendar,
    from_day: date,
    messages_from: date | None,
    postal_delay_days: int,
) -> date | None:
    """The first day on or after `from_day` the case will act, as the engine decides it day by day.

    Exact, so that the planner reads no customer for nothing: the step is due on day d when some invoice i of
    the case is chased on d and d reaches the step's date counted from i's due date (the oldest chased
    invoice gives the earliest date, so checking each invoice alone is enough).
    """
    if case.state is not CaseState.OPEN:
        return None
    if case.paused_for_a_person:
        return None
    if case.paused_until is not None and from_day <= case.paused_until:
        from_day = case.paused_until + ONE_DAY
    upcoming = next_step(case, policy)
    if upcoming is None:
        return None
    candidates: list[tuple[date, Invoice]] = []
    for invoice in invoices:
        if is_settled(invoice) or invoice.currency != case.currency:
            continue
        if not _may_join(case, invoice, cases):
            continue
        available = chased_from(invoice, from_day)
        if available is None:
            continue
        available = max(available, invoice.due_date + ONE_DAY)
        candidates.append((available, invoice))
    return _first_step_day(case, upcoming, candidates, policy, calendar, messages_from, postal_delay_days)


def _may_join(case: Case, invoice: Invoice, cases: Sequence[Case]) -> bool:
    """Whether the invoice, once overdue, belongs to this (open) case: no hand-off of its currency ahead."""
    return in_case(case, invoice, cases)


def _first_step_day(
    case: Case,
    upcoming: tuple[int, Step],
    candidates: Sequence[tuple[date, Invoice]],
    policy: Policy,
    calendar: BusinessCalendar,
    messages_from: date | None,
    postal_delay_days: int,
) -> date | None:
    """A sweep over the days the case's chased invoices change: between two such days the members are
    fixed, so the step's date is known; the first interval whose date falls inside it wins."""
    ordered = sorted(candidates, key=lambda item: item[0])
    starts = sorted({available for available, _ in ordered})
    for position, start in enumerate(starts):
        end = starts[position + 1] if position + 1 < len(starts) else None
        members = sorted(
            (invoice for available, invoice in ordered if available <= start),
            key=lambda item: (item.due_date, item.invoice_id),
        )
        action = _action(case, upcoming, members, policy)
        if isinstance(action, CaseWait) or balance_of(members) < action.step.min_balance:
            continue
        earliest = earliest_after(case, action.step, members[0].due_date, postal_delay_days)
        if action.step.sends_message and messages_from is not None:
            earliest = max(earliest, messages_from)
        target = calendar.next_open(max(earliest, start))
        if end is None or target < end:
            return target
    return None


# Courtesy notices before the due date.


def courtesy_day(
    invoice: Invoice, step: Step, calendar: BusinessCalendar, from_day: date, messages_from: date | None
) -> date | None:
    """When the invoice's pre-due notice may go, or None (sent already, settled, paused, or too late)."""
    if step.id in invoice.dunning.steps_done or is_settled(invoice):
        return None
    if invoice.status not in {InvoiceStatus.OPEN, InvoiceStatus.PROMISED}:
        return None
    available = chased_from(invoice, from_day)
    if available is None:
        return None
    earliest = max(invoice.due_date + timedelta(days=step.offset_days), available)
    if messages_from is not None:
        earliest = max(earliest, messages_from)
    act_on = calendar.next_open(earliest)
    return act_on if act_on < invoice.due_date else None


def with_courtesy(invoice: Invoice, step: Step, day: date) -> Invoice:
    if step.id in invoice.dunning.steps_done:
        return invoice
    return replace(invoice, dunning=invoice.dunning.after(step.id, day))


# Books written by earlier versions, where each invoice climbed its own ladder.


def needs_adoption(invoices: Iterable[Invoice], policy: Policy) -> bool:
    """Whether the book still carries per-invoice escalation state, written before cases existed."""
    ladder = {step.id for step in policy.ladder}
    return any(
        invoice.legacy_next_action_on is not None or ladder & set(invoice.dunning.steps_done)
        for invoice in invoices
    )


def adopt_legacy(
    customer: Customer, invoices: Sequence[Invoice], policy: Policy, day: date
) -> tuple[Customer, tuple[Invoice, ...], tuple[CaseChange, ...]]:
    """Reads per-invoice steps into cases without resending anything.

    Per currency, the case stands at the highest step any of its overdue invoices reached, dated by the
    invoices' own last steps; each step names the invoices that had it; the invoices that had a letter step
    are the notice's, a hand-off makes the case handed off. The invoices keep only their courtesy marks and
    leave the old per-invoice index.
    """
    ladder = policy.ladder
    order = {step.id: index for index, step in enumerate(ladder)}
    letters = {step.id for step in ladder if Action.LETTER in step.actions}
    handoffs = {step.id for step in ladder if Action.HANDOFF in step.actions}
    changes: list[CaseChange] = []
    for currency in sorted({invoice.currency for invoice in invoices}):
        stepped = [
            invoice
            for invoice in invoices
            if invoice.currency == currency
            and is_overdue(invoice, day)
            and set(invoice.dunning.steps_done) & set(order)
        ]
        if not stepped or customer.case_for(currency) is not None:
            continue
        reached = max(order[s] for invoice in stepped for s in invoice.dunning.steps_done if s in order)
        dated: dict[int, date] = {}
        for invoice in stepped:
            last = invoice.dunning.last_step
            if last in order and invoice.dunning.last_step_on is not None:
                dated[order[last]] = max(
                    dated.get(order[last], invoice.dunning.last_step_on), invoice.dunning.last_step_on
                )
        messages: list[CaseMessage] = []
        known = min(dated.values()) if dated else day
        for index in range(reached + 1):
            step_id = ladder[index].id
            on = dated.get(index, known)
            known = max(known, on)
            messages.append(
                CaseMessage(
                    step=step_id,
                    on=on,
                    invoice_ids=tuple(i.invoice_id for i in stepped if step_id in i.dunning.steps_done),
                    letter=step_id in letters,
                )
            )
        handed = tuple(i.invoice_id for i in stepped if set(i.dunning.steps_done) & handoffs)
        case = Case(
            case_id=new_case_id(customer, currency),
            currency=currency,
            opened_on=min(i.due_date for i in stepped) + ONE_DAY,
            state=CaseState.HANDED_OFF if handed else CaseState.OPEN,
            messages=tuple(messages),
            noticed=tuple(i.invoice_id for i in stepped if set(i.dunning.steps_done) & letters),
            handed_off=handed,
        )
        customer = replace(customer, cases=(*customer.cases, case), cases_opened=customer.cases_opened + 1)
        changes.append(
            CaseChange(
                case,
                "opened",
                "read from the per-invoice steps of an earlier version; nothing resent",
                tuple(i.invoice_id for i in stepped),
            )
        )
    courtesy = {step.id for step in policy.courtesy_steps}
    adopted = tuple(
        replace(
            invoice,
            dunning=DunningState(
                steps_done=tuple(s for s in invoice.dunning.steps_done if s in courtesy),
                last_step_on=invoice.dunning.last_step_on
                if set(invoice.dunning.steps_done) & courtesy
                else None,
            ),
            legacy_next_action_on=None,
        )
        for invoice in invoices
    )
    return customer, adopted, tuple(changes)


def balance_of(invoices: Iterable[Invoice]) -> Decimal:
    return sum((invoice.balance for invoice in invoices), ZERO)
