"""What a customer's answer to a reminder says: a promise, a dispute, a payment already made, a request.

`classify(text, subject, received_on, auto_reply)` reads the customer's own words (the reply without the
quoted reminder: `relance.ingest.inbound.InboundMail.text`) with rules anyone can read and extend: `RULES`
below is a table of named rules, one phrase per line, each phrase a regular expression over a *folded*
text (lower case, accents removed, typographic apostrophes made straight, runs of spaces made one), so
"Déjà réglé", "deja regle" and "DÉJÀ RÉGLÉ" are one thing. Each rule that matches becomes `Evidence`
(the rule's name and the words as the customer wrote them). docs/replies.md says how to add a rule.

What is read: the text, cut into sentences (paragraphs joined, split after . ! ? ;), and the subject only
when the customer wrote it: a subject starting "RE:", "TR:", "Fwd:" is ours ("Échéancier de la facture
…", "Mise en demeure de payer …") and only its autoresponder words ("Réponse automatique", "Out of
Office") and invoice numbers are read. Text beyond `MAX_TEXT_CHARS` is not read.

Negations: when "ne", "n'", "pas", "aucun", "sans", "non", "not", "no", "n't", "never" stand in the four
words before a match in the same clause (or "pas", "plus", "jamais" right after it, for French without
"ne"), the match goes to `ignored`, not `evidence`: "je ne conteste pas", "no dispute", "pas de litige"
are not disputes. Rules whose phrase holds its own negation ("never received the goods", "ne paierons
pas") are not negatable. A rule may also refuse a match after given words (`not_after`): "sera réglée"
is a promise, not a payment; "before we can pay", "si nous réglons" are conditions, not promises.
Weak cues ("paiement", "payment", "je m'en occupe") count as a promise only with a date after them in
their sentence ("paiement vendredi"), and never inside a stronger match ("virement effectué le 3").

Precedence, when several classes match (the others are kept in `also`):
1. AUTO_REPLY: the headers said so (`auto_reply=True`) or the subject or text reads like an
   autoresponder ("réponse automatique", "je suis absent", "out of office"). It beats everything: an
   absence notice may list "litiges: contact X" or "factures déjà payées: Y" and commits nobody to
   anything. A person who writes "je suis absent jusqu'au 12, je paie à mon retour" is read as an
   auto-reply too: the cost is one reminder that would have gone out anyway.
2. DISPUTE: the invoice is contested; the customer will not pay it as it is. A partial payment with a
   dispute on the rest ("nous avons réglé la partie non contestée"), or a payment with a claim of double
   billing, is a dispute first: a person must look at it before any reminder.
3. ALREADY_PAID beats PROMISE: "déjà viré 500 € le 3, le solde partira le 20" reports money we should
   find before chasing; the promise is kept in `also` and `promised_on`.
4. PROMISE beats REQUEST: "envoyez-moi le RIB, je règle le 15" carries a date to pause until; the request
   is kept in `also` and `requests`.
5. REQUEST (subtypes in `requests`: invoice_copy, bank_details, payment_plan, statement, callback).
6. OTHER: nothing matched (thanks, "je transmets au service comptable", questions no rule knows).

Dates: PROMISE takes the first date after the promise in its sentence (else the nearest one before it),
resolved forward from `received_on`; ALREADY_PAID does the same backward. "le 15" is the next 15th on or
after the day received (the last 15th on or before it, for a payment); a weekday ("vendredi", "next
Friday", "vendredi prochain") is the first such day strictly after (strictly before, for a payment);
"fin du mois" the month's last day; "en avril", "fin avril" April's last day; "début avril" the 10th;
"mi-avril" the 15th; "la semaine prochaine" next week's Friday; "cette semaine" this week's Friday;
"sous huitaine", "dans 10 jours", "within 14 days" count days; a day beyond the month's end ("le 31" in
April) is its last day; a day and month without a year is the next (last, for a payment) such day.
Numeric dates read day first (15/12), month first with `language_hint="en-US"`, and the only possible
way when one number is above 12 (12/25). A date written "du 15/11" or "dated" names an invoice, not a
payment: it is never a promise's date.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from enum import StrEnum


class ReplyClass(StrEnum):
    AUTO_REPLY = "auto_reply"
    DISPUTE = "dispute"
    ALREADY_PAID = "already_paid"
    PROMISE = "promise"
    REQUEST = "request"
    OTHER = "other"


PRECEDENCE = (
    ReplyClass.AUTO_REPLY,
    ReplyClass.DISPUTE,
    ReplyClass.ALREADY_PAID,
    ReplyClass.PROMISE,
    ReplyClass.REQUEST,
)


@dataclass(frozen=True)
class Evidence:
    kind: ReplyClass
    rule: str  # the rule's name in the tables below, e.g. "paid.fr.deja"
    phrase: str  # the words as the customer wrote them
    source: str  # "subject", "text" or "headers"
    detail: str | None = None  # a request's or a dispute's subtype


@dataclass(frozen=True)
class ReplyClassification:
    primary: ReplyClass
    also: tuple[ReplyClass, ...]  # the other classes found, in precedence order
    evidence: tuple[Evidence, ...]
    ignored: tuple[Evidence, ...]  # matches set aside by a negation ("je ne conteste pas")
    promised_on: date | None
    paid_on: date | None
    amount: Decimal | None  # the first amount in a sentence that gave the primary class
    currency: str | None
    requests: tuple[str, ...]  # invoice_copy, bank_details, payment_plan, statement, callback
    dispute_reasons: tuple[str, ...]  # amount, duplicate, not_received, quality, not_done, not_ordered, ...
    invoice_refs: tuple[str, ...]  # invoice numbers written in the subject or text
    language: str | None  # "fr" or "en", from the hint or the words


# --- rules -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    name: str
    kind: ReplyClass
    pattern: re.Pattern[str]
    detail: str | None = None
    negatable: bool = True
    needs_date: bool = False  # a weak cue: counts only with a date in its sentence
    # Not a match when the words just before it match this (e.g. "sera" before "réglée": a promise).
    not_after: re.Pattern[str] | None = None


def _rule(
    name: str,
    kind: ReplyClass,
    *phrases: str,
    detail: str | None = None,
    negatable: bool = True,
    needs_date: bool = False,
    not_after: str | None = None,
) -> Rule:
    """One rule from its phrases (regular expressions over folded text), each starting at a word."""
    alternatives = "|".join(phrase if phrase.startswith("^") else rf"\b(?:{phrase})" for phrase in phrases)
    return Rule(
        name,
        kind,
        re.compile(alternatives),
        detail,
        negatable,
        needs_date,
        re.compile(not_after + r"\s*$") if not_after else None,
    )


AUTO, DISPUTE, PAID, PROMISE, REQUEST = (
    ReplyClass.AUTO_REPLY,
    ReplyClass.DISPUTE,
    ReplyClass.ALREADY_PAID,
    ReplyClass.PROMISE,
    ReplyClass.REQUEST,
)

# Verb forms, folded. Present tense counts for promises: "je vous règle le 15" is French for "I'll pay".
_PAY_NOW_FR = (
    r"(?:regle|reglerai|reglerais|reglerons|reglons|regularise|regulariserai|regulariserons|regularisons"
    r"|paie|paye|paierai|paierais|payerai|payerais|paierons|payerons|payons|paies"
    r"|vire|virerai|virerais|virerons|virons|verse|verserai|verserons|versons|solde|solderai|solderons)"
)
_PAY_INF_FR = (
    r"(?:payer|regler|virer|verser|solder|regulariser|honorer|acquitter"
    r"|proceder (?:au|a un) (?:paiement|reglement|virement)"
    r"|(?:faire|effectuer|lancer|passer|emettre|envoyer|programmer) (?:le|un|l'|notre|mon|ce|les) ?"
    r"(?:virement|paiement|reglement|cheque|versement)s?|mettre (?:la facture )?en paiement)"
)
_PAYMENT_FR = r"(?:paiement|paiment|payement|virement|virment|reglement|reglemment|versement|cheque)s?"
_PAID_FR = r"(?:paye|payee|regle|reglee|vire|viree|solde|soldee|acquitte|acquittee|verse|versee)s?"
# An invoice or cheque number, or an amount, may stand between a noun and its verb.
_REF = r"(?: (?:n°|no|numero|nr|#)? ?[a-z]{0,6}[-/]?\d[\w/-]*)?"
_AMOUNT_BETWEEN = r"(?: (?:of|for|de|d'un montant de|du montant de) [^ ]+(?: [^ ]+){0,2}?)?"
_PAYMENT_EN = r"(?:payment|remittance|transfer|wire|bank transfer|cheque|check|funds|the money)s?"
_PAY_EN = r"(?:pay|settle|transfer|wire|remit)"
_OBJECT_PRONOUNS_FR = r"(?:(?:vous|la|le|les|l'|lui|leur|y) ?)*"
# Words that make what follows a condition or a purpose: "before we can pay", "pour que nous réglions".
_CONDITION_EN = r"\b(?:before|so|so that|in order that|until|unless|if|whether)"
_CONDITION_FR = r"\b(?:si|avant que|pour que|afin que|sans que|s')"
_FUTURE_AUX_FR = (
    r"\b(?:sera|seront|serait|seraient|va etre|vont etre|devrait etre|devraient etre|pourra etre)"
)
# Words that ask (infinitives, imperatives, questions), not ones that report ("envoyé", "sent").
_REQUEST_CUE_FR = (
    r"\b(?:envoyer|envoyez|renvoyer|renvoyez|transmettre|transmettez|communiquer|communiquez|fournir|"
    r"fournissez|donner|indiquer|indiquez|besoin|manque|pourriez|pouvez|pourrais|merci de|quel|quelle|"
    r"confirmer|confirmez|faire parvenir|obtenir|souhaite|souhaitons|voudrais|aimerais)\b"
)
_REQUEST_CUE_EN = (
    r"\b(?:send|provide|share|need|could you|can you|please send|please provide|please confirm|what|which|"
    r"would you|forward|confirm)\b"
)

RULES: tuple[Rule, ...] = (
    # AUTO_REPLY: autoresponders, absence notices, helpdesk acknowledgements.
    _rule(
        "auto.fr",
        AUTO,
        "reponse automatique",
        "message automatique",
        r"reponse auto\b",
        "(?:ceci|ce message) est (?:un|une) (?:message|reponse) automatique",
        "absence du bureau",
        "absente? du bureau",
        "hors du bureau",
        "je suis (?:actuellement |momentanement |exceptionnellement )?(?:absente?|en conges?|en vacances"
        "|en deplacement|en formation|en arret|en rtt|indisponible|en conge maternite)",
        "(?:actuellement|momentanement) (?:absente?|en conges?|en vacances|indisponible)",
        "je serai de retour (?:le|au|a partir|lundi|mardi|mercredi|jeudi|vendredi)",
        "de retour au bureau (?:le|a partir)",
        "absente? jusqu'au",
        "en conges? jusqu'au",
        "(?:cette )?(?:adresse|boite)(?: mail| aux lettres| e-?mail)? n'est (?:plus|pas) "
        "(?:surveillee|consultee|utilisee|active)",
        "votre (?:demande|message|e-?mail|courriel|ticket) a (?:bien )?ete "
        "(?:enregistree?|transmise?|prise? en compte)",
        "ne pas repondre a ce (?:message|mail|courriel)",
        "numero de (?:ticket|dossier) ?:",
        negatable=False,
    ),
    _rule(
        "auto.en",
        AUTO,
        "automatic reply",
        "auto-?reply",
        "autoreply",
        "automated (?:response|reply|message)",
        "out of (?:the )?office",
        "i am (?:currently )?(?:away|out|on (?:annual |parental |maternity |sick )?leave|on holiday"
        "|on vacation|travell?ing|off) (?:until|from|and|with|till|on|this|for)",
        "i'?m (?:currently )?(?:away|on (?:annual )?leave|on holiday|on vacation|out) (?:until|from|till|and"
        "|with)",
        "i will be back (?:on|in|at)",
        "i will return (?:on|to)",
        "back in the office (?:on|from)",
        "limited access to (?:my )?e-?mail",
        "(?:mailbox|inbox|address) is (?:not|no longer) (?:monitored|in use|active|checked)",
        "do not reply to this (?:e-?mail|message)",
        # "Your request (#55120) has been received and is being reviewed": a helpdesk, not a person.
        r"your (?:request|ticket|message|e-?mail)(?: \(?#?\w+\)?)? has been (?:received|logged|created"
        r"|registered) and",
        "ticket (?:number|#|id) ?:",
        negatable=False,
    ),
    # DISPUTE: the invoice, its amount or what it bills is contested.
    _rule(
        "dispute.fr.contest",
        DISPUTE,
        r"contest(?:e|ee|es|ees|ons|ez|er|ation|ations|able)\b",
        detail="general",
    ),
    _rule("dispute.fr.litige", DISPUTE, r"litig(?:e|es|ieux|ieuse|ieuses)\b", detail="general"),
    _rule(
        "dispute.fr.disagree",
        DISPUTE,
        "en desaccord",
        "pas d'accord (?:avec|sur)",
        "ne (?:sommes|suis) pas d'accord",
        detail="general",
        negatable=False,
    ),
    _rule(
        "dispute.fr.error",
        DISPUTE,
        "erreurs? (?:de |dans (?:la |le |les |votre )?|sur (?:la |le |les |votre )?|de la |du )?"
        r"(?:factur\w*|montant|prix|tarif|quantite|taux|calcul|tva|commande|livraison|remise)",
        detail="amount",
    ),
    _rule(
        "dispute.fr.wrong_amount",
        DISPUTE,
        rf"(?:montant|prix|tarif|quantite|total|taux|facture|tva|remise|calcul|somme)s?{_REF} "
        "(?:est |sont |semble |me semble |nous semble |parait |indique |facture )?"
        r"(?:errone|incorrect|faux|fausse|inexact|injustifie|trop eleve|excessif|surevalue)e?s?\b",
        detail="amount",
    ),
    _rule(
        "dispute.fr.not_right",
        DISPUTE,
        "(?:montant|prix|tarif|quantite|total|facture|somme)s? (?:n'est|ne sont|n'etait) (?:pas|plus) "
        "(?:correct|juste|bon|conforme|celui)e?s?",
        detail="amount",
        negatable=False,
    ),
    _rule(
        "dispute.fr.duplicate",
        DISPUTE,
        r"surfactur\w*",
        r"factur\w* (?:deux fois|en double|a tort|par erreur)",
        "double facturation",
        "doublon",
        r"deja ete facture\w*",
        detail="duplicate",
    ),
    _rule(
        "dispute.fr.not_received",
        DISPUTE,
        "(?:pas|jamais|toujours pas|pas encore|jamais ete|pas ete) (?:ete )?(?:recu|livre|receptionne)e?s? "
        "(?:la |les |le |de |notre |nos |votre |vos |aucune? |l')?(?:marchandise|commande|livraison|colis"
        "|materiel|produit|article|piece|fourniture|palette|equipement)s?",
        "(?:marchandise|commande|livraison|colis|materiel|produit|article|fourniture)s? "
        "(?:n'a |n'ont |n'est |ne sont )?(?:toujours |jamais |pas |non |encore )*(?:pas |jamais "
        "|non )(?:ete )?"
        "(?:recu|livre|arrive|parvenu|receptionne)e?s?",
        detail="not_received",
        negatable=False,
    ),
    _rule(
        "dispute.fr.quality",
        DISPUTE,
        "non[- ]conforme",
        r"defectueu\w*",
        r"endommag\w*",
        r"abime\w*",
        r"cass(?:e|ee|es|ees)\b",
        "livraison (?:incomplete|partielle)",
        "marchandise manquante",
        r"malfacon\w*",
        "vice cache",
        detail="quality",
    ),
    _rule(
        "dispute.fr.not_done",
        DISPUTE,
        "(?:prestation|travaux|intervention|mission|chantier|service|formation)s? "
        "(?:n'a |n'ont |n'est |ne sont )?(?:toujours |jamais |pas |non |encore )*(?:pas |jamais "
        "|non )(?:ete )?"
        "(?:realise|effectue|termine|fini|fait|conforme|livre|acheve|commence)e?s?",
        detail="not_done",
        negatable=False,
    ),
    _rule(
        "dispute.fr.refuse",
        DISPUTE,
        "(?:refusons|refuse|refuserons) de (?:payer|regler)",
        # "nous ne paierons pas", and "nous ne paierons que 800 €": part of it refused
        r"ne (?:paierons|payerons|reglerons|paierai|reglerai|payerai|reglerais|paierais) (?:pas|que)\b",
        "(?:bloquons|bloque|suspendons|suspends|gelons) (?:le |notre |mon |ce |tout )?(?:paiement|reglement)",
        detail="refusal",
        negatable=False,
    ),
    _rule("dispute.fr.complaint", DISPUTE, r"reclamation\b", detail="general"),
    _rule(
        "dispute.fr.not_agreed",
        DISPUTE,
        "pas ce qui (?:etait|a ete|avait ete|est) (?:prevu|convenu|commande|accepte|signe|indique)",
        "(?:contraire|non conforme) (?:au|a notre|a la) (?:contrat|devis|commande|accord)",
        r"ne correspond (?:pas|en rien) (?:au|a la|a notre|avec)",
        "remise (?:non|pas) (?:appliquee|deduite)",
        "n'avons pas (?:valide|accepte|signe) (?:le|ce) devis",
        detail="amount",
        negatable=False,
    ),
    _rule(
        "dispute.fr.returned",
        DISPUTE,
        "(?:avons|ai|a|ont) (?:deja |bien )?(?:retourne|renvoye|rendu)e?s? (?:la |les |le |toute la "
        "|tous les )?"
        "(?:marchandise|produit|article|materiel|piece|colis|commande|livraison)s?",
        detail="quality",
    ),
    _rule(
        "dispute.fr.credit_note",
        DISPUTE,
        # "un avoir" is a credit note; the verb never follows an article ("vous devriez l'avoir reçu").
        r"(?:un|d'un|votre|cet|notre|des|vos|nos) avoirs?\b",
        "avoirs? (?:attendu|promis|manquant|a venir|n°|numero)",
        detail="credit_note",
    ),
    _rule(
        "dispute.fr.not_ordered",
        DISPUTE,
        r"(?:jamais|pas) (?:ete )?command(?:e|ee|es|ees)\b",
        detail="not_ordered",
        negatable=False,
    ),
    _rule("dispute.en.dispute", DISPUTE, r"(?:disput\w*|contest(?:ed|ing|s)?)\b", detail="general"),
    _rule(
        "dispute.en.disagree",
        DISPUTE,
        r"(?:disagree|do not agree|don't agree|not agree with)\b",
        r"(?:cannot|can't|do not|don't) accept\b",
        detail="general",
        negatable=False,
    ),
    _rule(
        "dispute.en.wrong_amount",
        DISPUTE,
        "(?:wrong|incorrect|inaccurate|erroneous|excessive|inflated) (?:amount|price|prices|pricing|rate"
        "|quantity"
        r"|invoice|total|figure|charges?|vat|billing|discount|hours)\b",
        "(?:amount|price|invoice|total|rate|quantity|figure|charge|vat|hours)s? "
        r"(?:is|are|was|were|seems|seem|looks|look) (?:wrong|incorrect|inaccurate|not correct|not right"
        r"|too high|off)\b",
        detail="amount",
        negatable=False,
    ),
    _rule(
        "dispute.en.error",
        DISPUTE,
        "(?:billing|invoicing|pricing) (?:error|mistake|issue)s?",
        "(?:error|mistake)s? (?:on|in|with) (?:the |your |this |that )?(?:invoice|bill|amount|pricing)",
        detail="amount",
    ),
    _rule(
        "dispute.en.duplicate",
        DISPUTE,
        "overcharged",
        "over-charged",
        "(?:charged|billed|invoiced) twice",
        "double[- ](?:billed|charged)",
        "duplicate invoice",
        "already (?:been )?invoiced",
        detail="duplicate",
    ),
    _rule(
        "dispute.en.not_received",
        DISPUTE,
        "(?:never|not|haven't|have not|hasn't|has not|didn't|did not|yet to|still not"
        "|still haven't) (?:yet )?"
        "(?:been )?(?:receive|received|deliver|delivered|get|got|seen) (?:the |our |any |all |your |of )?"
        r"(?:goods|order|delivery|items?|parcels?|shipment|products?|equipment|materials?|package"
        r"|pallets?)\b",
        "(?:goods|order|delivery|items?|parcel|shipment|products?|equipment|package)s? "
        "(?:never|has not|have not|hasn't|haven't|did not|didn't|was not|were not|wasn't|weren't) (?:yet )?"
        "(?:been )?(?:arrived?|delivered|received|shipped)",
        detail="not_received",
        negatable=False,
    ),
    _rule(
        "dispute.en.quality",
        DISPUTE,
        r"(?:damaged|defective|faulty|broken)\b",
        r"not as (?:ordered|described|agreed|quoted)\b",
        r"short[- ]delivered\b",
        r"missing items?\b",
        r"incomplete delivery\b",
        detail="quality",
    ),
    _rule(
        "dispute.en.not_done",
        DISPUTE,
        "(?:work|service|job|installation|services|repair|project|training)s? (?:was |were |has |have |is "
        "|are )?"
        "(?:not|never|still not) (?:been )?(?:completed|done|finished|performed|delivered|carried out"
        "|started)",
        detail="not_done",
        negatable=False,
    ),
    _rule(
        "dispute.en.refuse",
        DISPUTE,
        r"(?:refuse|refusing) to pay\b",
        r"(?:will not|won't|shall not) (?:be )?(?:pay|paying|settle|settling)\b",
        r"(?:will|can) only (?:pay|settle|accept)\b",
        "(?:withhold|withholding|holding back|put on hold|placed on hold) (?:the |our )?(?:payment|invoice)",
        detail="refusal",
        negatable=False,
    ),
    _rule(
        "dispute.en.credit_note",
        DISPUTE,
        # A credit note awaited or asked for, as in French; a mere mention is not a dispute.
        "(?:awaiting|waiting for|expecting|expect|need|issue|send us|raise|owe us|owed|due|promised) "
        r"(?:a |the |our |us a |us the |your )?(?:credit note|credit memo|refund|credit)s?\b",
        "(?:credit note|credit memo)s? (?:is |are |was |were )?(?:due|owed|outstanding|pending|promised"
        "|still to come)",
        detail="credit_note",
    ),
    _rule("dispute.en.complaint", DISPUTE, r"complaint\b", detail="general"),
    _rule(
        "dispute.en.not_agreed",
        DISPUTE,
        "not what (?:was|we|had been|has been) (?:agreed|quoted|ordered|contracted|signed)",
        "(?:contrary to|not in line with) (?:the |our )?(?:contract|quote|agreement|order)",
        "does not match (?:the |our )?(?:quote|order|purchase order|po|contract)",
        detail="amount",
        negatable=False,
    ),
    _rule(
        "dispute.en.returned",
        DISPUTE,
        r"(?:returned|sent back) (?:the |all |these |those )?(?:goods|items?|products?|parts?|order|equipment"
        r"|delivery|parcel)s?\b",
        "(?:goods|items?|products?|parts?|order|equipment)s? (?:have been|were|was|has been) (?:returned"
        "|sent back)",
        detail="quality",
    ),
    _rule(
        "dispute.en.not_ordered",
        DISPUTE,
        r"(?:never|did not|didn't|not) order(?:ed)?\b",
        detail="not_ordered",
        negatable=False,
    ),
    # ALREADY_PAID: money the customer says has left.
    _rule(
        "paid.fr.deja",
        PAID,
        rf"deja (?:ete |bien |tout |)?{_PAID_FR}\b",
        "deja (?:fait|effectue|procede a|procede au|envoye|emis|passe|lance|transmis) "
        rf"(?:le |un |notre |mon |au |l'|les |nos )?{_PAYMENT_FR}",
    ),
    _rule(
        "paid.fr.compound",
        PAID,
        "(?:avons|ai|a|ont|j'ai|l'ai|l'avons|les avons) "
        rf"(?:bien |deja |bel et bien |effectivement |pourtant |tout |hier |ce matin "
        rf"|aujourd'hui )*{_PAID_FR}\b",
    ),
    _rule(
        "paid.fr.did_transfer",
        PAID,
        "(?:avons|ai|a|ont|j'ai) (?:bien |deja |pourtant |hier |ce matin |aujourd'hui )*"
        "(?:fait|effectue|emis|envoye|passe|lance|execute|procede a|procede au|transmis|poste) "
        rf"(?:le |un |notre |mon |au |l'|les |des |nos |ce |votre )?{_PAYMENT_FR}",
    ),
    _rule(
        "paid.fr.passive",
        PAID,
        "(?:facture|factures|montant|somme|solde|tout|totalite|elle|elles|celle-ci|celles-ci|ceci|cela|note"
        "|echeance) (?:a ete|ont ete|est|sont|est bien|sont bien|a bien ete|ont bien ete|est deja|sont deja"
        rf"|a deja ete|ont deja ete) (?:integralement |entierement |totalement )?{_PAID_FR}\b",
    ),
    _rule(
        "paid.fr.participle",
        PAID,
        # Feminine participles cannot be the present tense "je règle": "réglée", "payée" report a payment...
        r"(?:reglee|payee|soldee|viree|acquittee|versee)s?\b",
        # ... unless a future or a negation comes first: "sera réglée", "non réglée".
        not_after=_FUTURE_AUX_FR + r"(?: bien| integralement)?|\b(?:etre|non|pas|pas encore|ne soit|soit)",
    ),
    _rule(
        "paid.fr.settled_by",
        PAID,
        rf"{_PAID_FR} (?:par (?:cheque|virement|cb|carte|prelevement|traite|lcr|effet|especes)"
        r"|en totalite|integralement|depuis)\b",
        # "je vous règle par virement" is a promise: "réglé par" with no one before it reports a payment.
        not_after=r"\b(?:je|j'|nous|on|vous|te|la|le|les|l')",
    ),
    # A participle opening a sentence: "Réglé le 3 mars.", "Payé hier."
    _rule("paid.fr.opening", PAID, rf"^(?:deja |tout |bien )?{_PAID_FR}\b"),
    _rule(
        "paid.fr.just_done",
        PAID,
        rf"(?:viens|venons|vient|viennent) (?:de |d')(?:{_PAY_INF_FR}|etre {_PAID_FR})",
    ),
    _rule(
        "paid.fr.payment_done",
        PAID,
        rf"{_PAYMENT_FR}{_REF}{_AMOUNT_BETWEEN} (?:a ete |est |a bien ete |est bien |est deja |)?"
        r"(?:effectue|emis|envoye|execute|parti|passe|realise|debite|fait)e?s?\b",
    ),
    _rule(
        "paid.fr.proof",
        PAID,
        "(?:avis|ordre|preuve|justificatif|confirmation|copie|capture) (?:de |du |d')"
        "(?:virement|paiement|reglement|versement)",
        "(?:avez-vous|avez vous|vous avez du|vous devriez avoir) (?:bien )?recu (?:notre|mon|le) "
        "(?:virement|paiement|reglement|cheque)",
    ),
    _rule(
        "paid.en.already",
        PAID,
        "already (?:been )?(?:paid|settled|transferred|wired|remitted|cleared|payed|processed"
        "|sent (?:the |our |a )?payment|made (?:the |this |a )?payment)",
    ),
    _rule(
        "paid.en.perfect",
        PAID,
        "(?:has|have|had|was|were|'ve|is|are) (?:already |now |all |both |fully |been |in full |actually "
        r"|definitely )*(?:paid|settled|payed|remitted|cleared(?! up))\b",
        not_after=r"\b(?:not|never|yet|will|should|to|must|be|n't)",
    ),
    _rule(
        "paid.en.simple_past",
        PAID,
        r"(?:i|we) (?:already |actually |have |definitely )*(?:paid|settled|transferred|wired|remitted"
        r"|payed)\b",
        "(?:i|we) (?:already |actually |have |definitely )*(?:sent|made|processed|released|initiated|posted"
        "|mailed) (?:the |our |a |this |full |your )?(?:payment|transfer|wire|remittance|cheque|check)",
    ),
    _rule(
        "paid.en.payment_done",
        PAID,
        rf"(?:payment|transfer|wire|remittance|cheque|check)s?{_AMOUNT_BETWEEN} "
        "(?:was|were|has been|have been) (?:already |successfully )?"
        r"(?:made|sent|processed|released|initiated|executed|completed|paid|issued|cleared|posted|debited)\b",
        r"(?:payment|transfer|wire|remittance)s? (?:went out|left|cleared)\b",
    ),
    _rule(
        "paid.en.proof",
        PAID,
        "(?:remittance advice|proof of payment|payment confirmation|transfer confirmation|bank confirmation"
        r"|payment receipt)\b",
        "did you (?:not )?receive (?:our|my|the) (?:payment|transfer|remittance|cheque|check)",
    ),
    # "Paid in full on the 4th."
    _rule("paid.en.opening", PAID, r"^(?:already |all |fully )?(?:paid|settled|payed|transferred|wired)\b"),
    # PROMISE: money that will leave.
    _rule(
        "promise.fr.pronoun",
        PROMISE,
        rf"(?:je|j'|nous|on) {_OBJECT_PRONOUNS_FR}{_PAY_NOW_FR}\b",
        not_after=_CONDITION_FR,
    ),
    _rule(
        "promise.fr.going_to",
        PROMISE,
        "(?:vais|allons|va|compte|comptons|pense|pensons|prevois|prevoyons|peux|pouvons|pourrons|pourrai"
        "|devrais|devrions|devrons|m'engage a|nous engageons a|s'engage a|promets de|promettons de) "
        f"{_OBJECT_PRONOUNS_FR}{_PAY_INF_FR}",
    ),
    _rule(
        "promise.fr.do_transfer",
        PROMISE,
        "(?:je|j'|nous|on) (?:vous )?(?:fais|faisons|ferai|ferons|lance|lancerai|lancerons|programme"
        "|programmerai|programmons|effectue|effectuerai|effectuerons|emets|emettrai|emettrons|envoie|enverrai"
        f"|enverrons|passe|passerai|passerons) (?:le |un |notre |mon |l'|ce |les )?{_PAYMENT_FR}",
    ),
    _rule(
        "promise.fr.will_be",
        PROMISE,
        rf"(?:{_PAYMENT_FR}|solde|reste|reliquat) (?:sera|seront|va etre|vont etre|devrait etre"
        rf"|devraient etre"
        "|partira|partiront|interviendra|interviendront|arrivera|arriveront|sera bien|est prevue?|sont prevus"
        r"|est programmee?|est planifiee?|prevue?|programmee?|planifiee?)\b",
        rf"{_FUTURE_AUX_FR} (?:bien |integralement )?(?:{_PAID_FR}|effectue|fait)\b",
        r"mise en paiement\b",
        "mis en paiement (?:le|pour|au|ce|demain|vendredi)",
    ),
    _rule(
        "promise.fr.receive",
        PROMISE,
        f"vous (?:recevrez|aurez|allez recevoir|devriez recevoir) (?:le |notre |mon |votre "
        f"|un )?{_PAYMENT_FR}",
    ),
    # Weak cues: a promise only with a date after them in the same sentence.
    _rule("promise.fr.take_care", PROMISE, r"je m'en occupe\b", r"nous nous en occupons\b", needs_date=True),
    _rule(
        "promise.fr.dated_payment",
        PROMISE,
        rf"(?:{_PAYMENT_FR}|payer|regler|virer)\b",
        needs_date=True,
        not_after=r"\b(?:du|votre|vos)",
    ),
    _rule(
        "promise.en.will",
        PROMISE,
        "(?:i|we)(?:'ll| will| shall| are going to| am going to|'re going to|'m going to| can| plan to"
        "| intend to| expect to| aim to| hope to| promise to| are planning to| am planning to|'ll be able to"
        "| will be able to| should be able to| should| commit to) (?:be )?"
        f"(?:{_PAY_EN}(?:ing)?|(?:send|make|arrange|release|initiate|schedule|process|issue|raise"
        f"|do)(?:ing)? "
        rf"(?:the |a |our |this |full |your )?{_PAYMENT_EN})\b",
        not_after=_CONDITION_EN,
    ),
    _rule(
        "promise.en.payment_will",
        PROMISE,
        f"{_PAYMENT_EN} (?:will|should|is going to|shall|is due to) (?:be )?"
        "(?:made|sent|processed|released|issued|arrive|reach|go out|leave|be with you|clear|paid|done)",
        rf"{_PAYMENT_EN} (?:is |has been )?(?:scheduled|planned|booked|set up|queued|approved)\b",
        r"(?:will|should|shall) be (?:paid|settled|transferred|wired|processed)\b",
    ),
    _rule(
        "promise.en.receive",
        PROMISE,
        f"you (?:will|should|'ll|can expect to) (?:receive|get|have|see) (?:the |our |a |full |your )?"
        f"(?:{_PAYMENT_EN}|money)",
    ),
    _rule(
        "promise.en.scheduled",
        PROMISE,
        f"(?:scheduled|queued|set up|booked|approved) (?:the |a |our |your )?{_PAYMENT_EN}",
    ),
    _rule(
        "promise.en.dated_payment",
        PROMISE,
        r"(?:payment|transfer|pay|settle)\b",
        needs_date=True,
        not_after=r"\b(?:your|of)",
    ),
    # REQUEST: the customer needs something from us first.
    _rule(
        "request.fr.invoice_copy",
        REQUEST,
        "(?:copie|duplicata|double|exemplaire|pdf|version pdf)s? (?:de |de la |du |des |d'une )?"
        r"(?:la |cette |votre |vos |les |ces )?factures?\b",
        "(?:renvoyer|renvoyez|reenvoyer|retransmettre|transmettre|envoyer|envoyez|faire parvenir|adresser)"
        "(?:-nous|-moi| nous| moi|-la|-les)?(?: a nouveau| de nouveau)? "
        r"(?:la |cette |les |ces |une |votre |vos )?factures?\b",
        r"(?:pas|jamais) (?:ete |encore )?(?:recu|eu)e?s? (?:la |cette |votre |vos |les |de |aucune "
        r"|ces )?factures?\b",
        "ne (?:trouvons|trouve) pas (?:la |cette |votre )?facture",
        "facture introuvable",
        detail="invoice_copy",
        negatable=False,
    ),
    _rule(
        "request.fr.bank_details",
        REQUEST,
        rf"{_REQUEST_CUE_FR}.{{0,60}}\b(?:rib|iban|bic|coordonnees bancaires|releve d'identite bancaire"
        r"|numero de compte)\b",
        r"(?:rib|iban|coordonnees bancaires)\b.{0,40}(?:svp|s'il vous plait|\?)",
        detail="bank_details",
    ),
    _rule(
        "request.fr.payment_plan",
        REQUEST,
        "echeancier",
        r"echelonn\w*",
        "etaler",
        "etalement",
        "mensualites",
        "plusieurs (?:fois|versements|echeances)",
        "en (?:deux|trois|quatre|cinq|six|2|3|4|5|6|plusieurs) (?:fois|versements|echeances|mensualites)",
        "delai (?:de paiement|supplementaire)",
        r"(?:un|d'un|quelques|de) (?:petit )?delai\b",
        "report(?:er)? (?:de |du |l'|le )?(?:paiement|echeance|reglement)",
        "difficultes? (?:financiere|de tresorerie|passagere)s?",
        "tresorerie (?:tendue|difficile)",
        "dans l'impossibilite de (?:payer|regler)",
        "paiement partiel",
        detail="payment_plan",
    ),
    _rule(
        "request.fr.cannot_pay",
        REQUEST,
        "(?:ne|n') ?(?:pouvons|peux|pourrons|pourrai|sommes pas en mesure|suis pas en mesure) (?:pas )?"
        "(?:de )?(?:payer|regler)",
        detail="payment_plan",
        negatable=False,
    ),
    _rule(
        "request.fr.statement",
        REQUEST,
        rf"{_REQUEST_CUE_FR}.{{0,60}}\b(?:releve de compte|releve des factures|etat des factures"
        "|situation de (?:notre |mon )?compte|liste des factures|releve client|extrait de compte)",
        detail="statement",
    ),
    _rule(
        "request.fr.callback",
        REQUEST,
        r"(?:me|nous|m') ?(?:rappeler|appeler|telephoner)\b",
        r"(?:rappelez|appelez)-(?:moi|nous)\b",
        detail="callback",
    ),
    _rule(
        "request.en.invoice_copy",
        REQUEST,
        r"(?:copy|copies|duplicate|pdf|pdf copy) of (?:the |this |your |that |our |these )?invoices?\b",
        "(?:re-?send|send|forward|email|e-mail)(?: me| us)?(?: again| over)?(?: a copy of)? "
        r"(?:the|this|that|a|your|these) invoices?\b",
        r"invoice cop(?:y|ies)\b",
        "(?:never|not|haven't|have not|didn't|did not|yet to) (?:yet )?(?:received|receive|get|got|seen|had) "
        r"(?:the|this|that|your|any|an|these) ?invoices?\b",
        "(?:can't|cannot|could not|couldn't) find (?:the|this|that|your) invoice",
        detail="invoice_copy",
        negatable=False,
    ),
    _rule(
        "request.en.bank_details",
        REQUEST,
        rf"{_REQUEST_CUE_EN}.{{0,60}}\b(?:bank details|banking details|bank account(?: details)?"
        r"|account details|iban|bic|swift|sort code|account number|payment details|wire instructions)\b",
        detail="bank_details",
    ),
    _rule(
        "request.en.payment_plan",
        REQUEST,
        r"payment plan\b",
        r"instal?lments?\b",
        r"instal?lment plan\b",
        r"spread (?:the )?(?:payment|cost)s?\b",
        r"pay in (?:two|three|four|2|3|4|several|monthly) (?:parts|instal?lments|payments)\b",
        r"(?:more|extra) time\b",
        r"extension\b",
        r"grace period\b",
        r"defer\b",
        r"postpone\b",
        r"cash ?flow (?:issue|problem|difficult)\w*",
        r"financial difficult\w*",
        r"(?:can't|cannot|unable to|not able to|not in a position to) pay\b",
        r"partial payments?\b",
        detail="payment_plan",
    ),
    _rule(
        "request.en.statement",
        REQUEST,
        rf"{_REQUEST_CUE_EN}.{{0,60}}\b(?:statement of account|account statement|statement"
        r"|list of (?:open|outstanding|unpaid) invoices)\b",
        detail="statement",
    ),
    _rule(
        "request.en.callback",
        REQUEST,
        r"(?:call me|call us|give me a call|give us a call|phone me|ring me|call back|callback)\b",
        detail="callback",
    ),
)

# Subjects that only autoresponders and mail servers write.
_AUTO_SUBJECT = re.compile(
    r"^(?:reponse automatique|automatic reply|auto(?:matic)? ?reply|autoreply|out of (?:the )?office|absence|"
    r"absent|abwesenheit|auto:|ooo\b|en conges?|conges|accuse de reception|undeliverable|non remis|"
    r"delivery status notification|mail delivery failed|returned mail)"
)
_REPLY_PREFIX = re.compile(
    r"^\s*(?:(?:re|tr|fwd?|fw|aw|wg|rif|r|ref|sv|vs)\s*(?:\[\d+\])?\s*:\s*)+", re.IGNORECASE
)

# A negation in the few words before a match, in the same clause, or "pas" right after it (spoken French).
_NEGATION_BEFORE = re.compile(
    r"(?:\b(?:ne|pas|aucun|aucune|aucunement|sans|jamais|ni|non|not|no|never|nor|without|nullement)\b|n't\b"
    r"|\bn')"
)
_NEGATION_AFTER = re.compile(r"^\s*(?:pas|plus|jamais|point|aucunement|nullement)\b")
_CLAUSE_BREAK = re.compile(
    r"[,;:()\"]|\b(?:mais|but|however|cependant|par contre|toutefois|sauf|except|et|and)\b"
)
_NEGATION_WORDS = 4
_NEGATION_REACH = 80  # characters looked at before a match: four words and the clause break before them
# A reply is a few lines; ten pages of pasted text are read up to here, which keeps the rules linear.
MAX_TEXT_CHARS = 20_000


# --- folding ---------------------------------------------------------------------------------------------

_FOLD = {
    "\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'", "\u00b4": "'", "\u2032": "'",
    "\u2013": "-", "\u2014": "-", "\u2010": "-", "\u2011": "-", "\u00ab": '"', "\u00bb": '"',
    "\u201c": '"', "\u201d": '"', "\u0153": "oe", "\u0152": "oe", "\u00e6": "ae", "\u00c6": "ae",
    "\u00df": "ss",
}  # fmt: skip


@dataclass(frozen=True)
class _Folded:
    """A text folded for matching, with where each folded character came from in the original."""

    original: str
    text: str
    origin: tuple[int, ...]

    def span(self, start: int, end: int) -> str:
        if start >= end:
            return ""
        return self.original[self.origin[start] : self.origin[end - 1] + 1].strip()


def fold(original: str) -> _Folded:
    chars: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(original):
        if char.isspace():
            if chars and chars[-1] != " ":
                chars.append(" ")
                origin.append(index)
            continue
        folded = _FOLD.get(char)
        if folded is None:
            folded = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
        for piece in folded.lower():
            chars.append(" " if piece.isspace() else piece)
            origin.append(index)
    while chars and chars[-1] == " ":
        chars.pop()
        origin.pop()
    return _Folded(original, "".join(chars), tuple(origin))


def sentences(text: str) -> list[str]:
    """Paragraphs (split on blank lines) with their lines joined, cut after . ! ? ; when a word follows."""
    found = []
    for paragraph in re.split(r"\n\s*\n", text):
        joined = " ".join(line.strip() for line in paragraph.splitlines() if line.strip())
        found += [part for part in re.split(r"(?<=[.!?;])\s+(?=\S)", joined) if part.strip()]
    return found


# --- dates -----------------------------------------------------------------------------------------------

_MONTHS = {
    "janvier": 1, "janv": 1, "january": 1, "jan": 1, "fevrier": 2, "fevr": 2, "fev": 2, "february": 2,
    "feb": 2, "mars": 3, "march": 3, "mar": 3, "avril": 4, "avr": 4, "april": 4, "apr": 4, "mai": 5,
    "may": 5, "juin": 6, "june": 6, "jun": 6, "juillet": 7, "juil": 7, "july": 7, "jul": 7, "aout": 8,
    "august": 8, "aug": 8, "septembre": 9, "sept": 9, "september": 9, "sep": 9, "octobre": 10, "oct": 10,
    "october": 10, "novembre": 11, "nov": 11, "november": 11, "decembre": 12, "dec": 12, "december": 12,
}  # fmt: skip
_WEEKDAYS = {
    "lundi": 0, "mardi": 1, "mercredi": 2, "jeudi": 3, "vendredi": 4, "samedi": 5, "dimanche": 6,
    "monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4, "saturday": 5, "sunday": 6,
}  # fmt: skip
_NUMBERS = {
    "un": 1, "une": 1, "one": 1, "a": 1, "deux": 2, "two": 2, "trois": 3, "three": 3, "quatre": 4,
    "four": 4, "cinq": 5, "five": 5, "six": 6, "sept": 7, "seven": 7, "huit": 8, "eight": 8, "dix": 10,
    "ten": 10, "quinze": 15, "fifteen": 15, "fourteen": 14, "quatorze": 14, "vingt": 20, "twenty": 20,
    "trente": 30, "thirty": 30,
}  # fmt: skip
_MONTH = "(?P<month>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\b\.?"
_WEEKDAY = "(?P<weekday>" + "|".join(_WEEKDAYS) + ")"
_COUNT = r"(?P<count>\d{1,3}|" + "|".join(sorted(_NUMBERS, key=len, reverse=True)) + ")"
_DAY = r"(?P<day>[0-3]?\d)(?:er|st|nd|rd|th|eme)?"
_NOT_QUANTITY = (
    r"(?!\s*(?:%|€|eur\b|euros?\b|\$|h\b|heures?|jours?|days?|mois|months?|semaines?|weeks?|ans?\b|"
)
_NOT_QUANTITY += r"years?|fois|x\b|ex\b|factures?|invoices?|[.,]\d|/\d|-\d))"


@dataclass(frozen=True)
class _DateForm:
    name: str
    pattern: re.Pattern[str]
    resolve: Callable[[re.Match[str], date, int, bool], date | None]


def _last_day(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _clamped(year: int, month: int, day: int) -> date:
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def _add_months(day: date, months: int) -> tuple[int, int]:
    index = day.year * 12 + day.month - 1 + months
    return index // 12, index % 12 + 1


def _day_of_month(day: int, received: date, direction: int) -> date | None:
    if not 1 <= day <= 31:
        return None
    candidate = _clamped(received.year, received.month, day)
    if direction > 0 and candidate < received:
        candidate = _clamped(*_add_months(received, 1), day)
    elif direction < 0 and candidate > received:
        candidate = _clamped(*_add_months(received, -1), day)
    return candidate


def _day_and_month(day: int, month: int, year: int | None, received: date, direction: int) -> date | None:
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    if year is not None:
        year = year + 2000 if year < 100 else year
        try:
            return date(year, month, day)
        except ValueError:
            return None
    for candidate_year in (received.year, received.year + direction):
        try:
            candidate = date(candidate_year, month, day)
        except ValueError:
            continue
        if (direction > 0 and candidate >= received) or (direction < 0 and candidate <= received):
            return candidate
    return None


def _weekday(weekday: int, received: date, direction: int) -> date:
    if direction > 0:
        return received + timedelta(days=(weekday - received.weekday() - 1) % 7 + 1)
    return received - timedelta(days=(received.weekday() - weekday - 1) % 7 + 1)


def _count(word: str) -> int | None:
    return int(word) if word.isdigit() else _NUMBERS.get(word)


def _month_point(match: re.Match[str], received: date, direction: int, day: int | None) -> date:
    month = _MONTHS[match["month"]]
    year = received.year
    if direction > 0 and month < received.month:
        year += 1
    elif direction < 0 and month > received.month:
        year -= 1
    return _last_day(year, month) if day is None else _clamped(year, month, day)


def _numeric(match: re.Match[str], received: date, direction: int, month_first: bool) -> date | None:
    first, second = int(match["a"]), int(match["b"])
    year = int(match["year"]) if match["year"] else None
    day, month = (second, first) if month_first else (first, second)
    if month > 12 >= day:  # 12/25 in a French reply, 25/12 in an American one: only one reading is a date
        day, month = month, day
    return _day_and_month(day, month, year, received, direction)


def _this_friday(received: date) -> date:
    return max(received, received + timedelta(days=4 - received.weekday()))


def _form(
    name: str, pattern: str, resolve: Callable[[re.Match[str], date, int, bool], date | None]
) -> _DateForm:
    return _DateForm(name, re.compile(pattern), resolve)


DATE_FORMS: tuple[_DateForm, ...] = (
    _form(
        "iso",
        r"\b(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})\b",
        lambda m, r, d, mf: _day_and_month(int(m["day"]), int(m["month"]), int(m["year"]), r, d),
    ),
    _form(
        "numeric",
        r"\b(?P<a>\d{1,2})[/.](?P<b>\d{1,2})(?:[/.](?P<year>\d{4}|\d{2}))?\b(?![.,/]?\d)"
        r"(?!\s*(?:€|eur\b|euros?\b|\$|%|h\b))",
        _numeric,
    ),
    _form(
        "day_month",
        rf"\b{_DAY}(?: de| of)? {_MONTH}(?: (?P<year>\d{{4}}))?\b",
        lambda m, r, d, mf: _day_and_month(
            int(m["day"]), _MONTHS[m["month"]], int(m["year"]) if m["year"] else None, r, d
        ),
    ),
    _form(
        "month_day",
        rf"\b{_MONTH} (?:the )?{_DAY}\b(?:,? (?P<year>\d{{4}}))?",
        lambda m, r, d, mf: _day_and_month(
            int(m["day"]), _MONTHS[m["month"]], int(m["year"]) if m["year"] else None, r, d
        ),
    ),
    _form(
        "month_end",
        rf"\b(?:fin|end of|end|la fin de|fin de|fin du mois de) (?:the month of )?{_MONTH}(?! ?\d)",
        lambda m, r, d, mf: _month_point(m, r, d, None),
    ),
    _form(
        "month_start",
        rf"\b(?:debut|early|beginning of|start of|debut de|debut du mois de) {_MONTH}(?! ?\d)",
        lambda m, r, d, mf: _month_point(m, r, d, 10),
    ),
    _form(
        "month_mid",
        rf"\b(?:mi|mid)[- ]?{_MONTH}(?! ?\d)",
        lambda m, r, d, mf: _month_point(m, r, d, 15),
    ),
    _form(
        "month_in",
        rf"\b(?:en|in|courant|during|durant) {_MONTH}(?! ?\d)",
        lambda m, r, d, mf: _month_point(m, r, d, None),
    ),
    _form(
        "next_month_end",
        r"\b(?:fin du mois prochain|fin de mois prochain|end of next month|fin (?:du )?mois suivant)\b",
        lambda m, r, d, mf: _last_day(*_add_months(r, 1)),
    ),
    _form(
        "next_month_start",
        r"\b(?:debut (?:du |de )?mois prochain|debut du mois suivant|early next month|(?:beginning"
        r"|start) of next "
        r"month)\b",
        lambda m, r, d, mf: date(*_add_months(r, 1), 10),
    ),
    _form(
        "next_month",
        r"\b(?:le mois prochain|next month|courant du mois prochain|dans le courant du mois prochain)\b",
        lambda m, r, d, mf: _last_day(*_add_months(r, 1)),
    ),
    _form(
        "month_end_this",
        r"\b(?:fin (?:du |de |de ce )?mois|end of (?:the |this )?month|month[- ]end)\b",
        lambda m, r, d, mf: _last_day(r.year, r.month),
    ),
    _form(
        "mid_month",
        r"\b(?:mi-mois|mid-month|mid month|milieu du mois)\b",
        lambda m, r, d, mf: _day_of_month(15, r, 1),
    ),
    _form(
        "next_week",
        r"\b(?:la semaine prochaine|semaine prochaine|next week|courant de la semaine prochaine"
        r"|debut de semaine "
        r"prochaine)\b",
        lambda m, r, d, mf: _this_friday(r) + timedelta(days=7),
    ),
    _form(
        "this_week",
        r"\b(?:cette semaine|this week|fin de (?:la )?semaine|end of (?:the |this )?week|d'ici vendredi)\b",
        lambda m, r, d, mf: _this_friday(r),
    ),
    _form(
        "day_after_tomorrow",
        r"\b(?:apres-demain|apres demain|day after tomorrow)\b",
        lambda m, r, d, mf: r + timedelta(days=2),
    ),
    _form(
        "day_before_yesterday",
        r"\b(?:avant-hier|avant hier|day before yesterday)\b",
        lambda m, r, d, mf: r - timedelta(days=2),
    ),
    _form("tomorrow", r"\b(?:demain|tomorrow)\b", lambda m, r, d, mf: r + timedelta(days=1)),
    _form("yesterday", r"\b(?:hier|yesterday)\b", lambda m, r, d, mf: r - timedelta(days=1)),
    _form(
        "today",
        r"\b(?:aujourd'hui|aujourd hui|ce jour|ce matin|ce soir|cet apres-midi|today|this morning"
        r"|this afternoon|"
        r"tonight|this evening)\b",
        lambda m, r, d, mf: r,
    ),
    _form(
        "weekday",
        rf"\b(?:ce |this |on |by |next |last |d'ici )?{_WEEKDAY}(?: prochain| dernier| next)?\b(?! ?\d)",
        lambda m, r, d, mf: _weekday(_WEEKDAYS[m["weekday"]], r, d),
    ),
    _form(
        "within",
        rf"\b(?:sous|dans|d'ici|within|in|in the next|over the next|au plus tard dans|dans les) {_COUNT} "
        r"(?P<unit>jours?|days?|semaines?|weeks?|heures?|hours?|h)\b",
        lambda m, r, d, mf: _within(m, r),
    ),
    _form(
        "ago",
        rf"\b(?:il y a {_COUNT} (?P<unit>jours?|semaines?)"
        rf"|{_COUNT.replace('count', 'count2')} (?P<unit2>days?|weeks?) ago)\b",
        lambda m, r, d, mf: _ago(m, r),
    ),
    _form(
        "fortnight",
        r"\b(?:sous huitaine|sous quinzaine|dans la quinzaine|dans la huitaine|within a fortnight"
        r"|in a fortnight)\b",
        lambda m, r, d, mf: r + timedelta(days=8 if "huit" in m[0] else 15),
    ),
    _form(
        "day_only",
        rf"\b(?:le|au|du|the|on|by|avant le|d'ici le|jusqu'au|before the|by the|on the|pour le"
        rf"|until the) {_DAY}\b" + _NOT_QUANTITY,
        lambda m, r, d, mf: _day_of_month(int(m["day"]), r, d),
    ),
    _form(
        "ordinal",
        r"\b(?P<day>[0-3]?\d)(?:st|nd|rd|th)\b",
        lambda m, r, d, mf: _day_of_month(int(m["day"]), r, d),
    ),
)


def _within(match: re.Match[str], received: date) -> date | None:
    count = _count(match["count"])
    if count is None:
        return None
    unit = match["unit"]
    if unit.startswith(("h", "heure")):
        return received + timedelta(days=max(1, count // 24))
    return received + timedelta(days=count * 7 if unit.startswith(("sem", "week")) else count)


def _ago(match: re.Match[str], received: date) -> date | None:
    count = _count(match["count"] or match["count2"])
    unit = match["unit"] or match["unit2"] or ""
    if count is None:
        return None
    return received - timedelta(days=count * 7 if unit.startswith(("sem", "week")) else count)


@dataclass(frozen=True)
class _DateMention:
    start: int
    end: int
    match: re.Match[str]
    form: _DateForm
    reference: bool  # "facture du 15/11", "invoice dated": names something, is not a payment date

    def resolve(self, received: date, direction: int, month_first: bool) -> date | None:
        return self.form.resolve(self.match, received, direction, month_first)


_REFERENCE_BEFORE = re.compile(r"(?:\b(?:du|dated|of|en date du|emise le|issued on|facture)\s*)$")


def _date_mentions(folded: str) -> list[_DateMention]:
    taken: list[tuple[int, int]] = []
    mentions: list[_DateMention] = []
    for form in DATE_FORMS:
        for match in form.pattern.finditer(folded):
            start, end = match.span()
            if any(start < other_end and other_start < end for other_start, other_end in taken):
                continue
            taken.append((start, end))
            before = folded[max(0, start - 20) : start]
            reference = bool(_REFERENCE_BEFORE.search(before)) or match[0].startswith("du ")
            mentions.append(_DateMention(start, end, match, form, reference))
    return sorted(mentions, key=lambda mention: mention.start)


# --- amounts and invoice numbers -------------------------------------------------------------------------

_NUMBER = r"\d{1,3}(?:[ .,']\d{3})+(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?"
_CURRENCIES = {"€": "EUR", "eur": "EUR", "euro": "EUR", "euros": "EUR", "$": "USD", "usd": "USD",
               "£": "GBP", "gbp": "GBP", "chf": "CHF"}  # fmt: skip
_CURRENCY = r"(?:€|eur|euros?|\$|usd|£|gbp|chf)"
_AMOUNT = re.compile(
    rf"(?:(?P<cur1>{_CURRENCY}) ?(?P<num1>{_NUMBER})|(?P<num2>{_NUMBER}) ?(?P<cur2>{_CURRENCY}))(?![a-z])"
)
_INVOICE_REF = re.compile(
    r"\b(?:factures?|invoices?|fact\.|inv\.?|n°|no\.|ref\.?|reference)\s*(?:n°|no\.?|nº|#|:|numero)?\s*"
    r"(?P<ref>[A-Za-z]{0,6}[-_/]?\d[\w/-]*\d|\d{3,})\b"
    r"|\b(?P<bare>[A-Z]{1,5}[-_/]?\d{2,4}[-_/]\d{2,6})\b",
    re.IGNORECASE,
)
_DATE_LIKE = re.compile(r"^\d{1,4}[/.-]\d{1,2}(?:[/.-]\d{2,4})?$")


def _amount(text: str) -> tuple[Decimal, str] | None:
    for match in _AMOUNT.finditer(text):
        number = match["num1"] or match["num2"]
        currency = _CURRENCIES[match["cur1"] or match["cur2"]]
        value = _decimal(number)
        if value is not None and value > 0:
            return value, currency
    return None


def _decimal(number: str) -> Decimal | None:
    digits = number.replace(" ", "").replace("'", "")
    last_comma, last_dot = digits.rfind(","), digits.rfind(".")
    decimal_at = max(last_comma, last_dot)
    if decimal_at >= 0 and len(digits) - decimal_at - 1 in (1, 2):
        whole, fraction = digits[:decimal_at], digits[decimal_at + 1 :]
    else:
        whole, fraction = digits, ""
    whole = whole.replace(",", "").replace(".", "")
    try:
        return Decimal(f"{whole}.{fraction}" if fraction else whole)
    except InvalidOperation:
        return None


def invoice_refs(*texts: str) -> tuple[str, ...]:
    found: list[str] = []
    for text in texts:
        for match in _INVOICE_REF.finditer(text):
            ref = (match["ref"] or match["bare"]).strip("/-_")
            if _DATE_LIKE.match(ref) or len(ref) > 24:
                continue
            after = text[match.end() : match.end() + 6].lower()
            if re.match(r"^\s*(?:€|eur|euro|\$|£|,\d|\.\d)", after):
                continue  # an amount, not a number
            found.append(ref)
    return tuple(dict.fromkeys(found))


# --- language --------------------------------------------------------------------------------------------

_FRENCH = re.compile(
    r"\b(?:je|nous|vous|le|la|les|de|des|est|facture|merci|bonjour|pas|pour|avec|une|du|sur)\b"
)
_ENGLISH = re.compile(
    r"\b(?:i|we|you|the|is|are|invoice|thanks|thank|hello|hi|dear|please|will|not|for|with|of)\b"
)


def _language(folded: str, hint: str | None) -> str | None:
    if hint:
        return hint.split("-")[0].split("_")[0].lower()
    french, english = len(_FRENCH.findall(folded)), len(_ENGLISH.findall(folded))
    if french == english:
        return None
    return "fr" if french > english else "en"


# --- classification --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Hit:
    evidence: Evidence
    sentence: _Folded
    start: int
    end: int
    weak: bool = False


def _negated(folded: str, start: int, end: int) -> bool:
    before = folded[max(0, start - _NEGATION_REACH) : start]
    clause_breaks = list(_CLAUSE_BREAK.finditer(before))
    if clause_breaks:
        before = before[clause_breaks[-1].end() :]
    words = before.split()[-_NEGATION_WORDS:]
    if _NEGATION_BEFORE.search(" ".join(words)):
        return True
    return bool(_NEGATION_AFTER.match(folded[end:]))


def _hits(sentence: _Folded, source: str, dates: list[_DateMention]) -> tuple[list[_Hit], list[Evidence]]:
    hits: list[_Hit] = []
    ignored: list[Evidence] = []
    last_date = max((mention.start for mention in dates if not mention.reference), default=-1)
    for rule in RULES:
        for match in rule.pattern.finditer(sentence.text):
            start, end = match.span()
            if rule.not_after and rule.not_after.search(
                sentence.text[max(0, start - 30) : start].rstrip() + " "
            ):
                continue
            if rule.needs_date and last_date < end:
                continue
            evidence = Evidence(rule.kind, rule.name, sentence.span(start, end), source, rule.detail)
            if rule.negatable and _negated(sentence.text, start, end):
                ignored.append(evidence)
            else:
                hits.append(_Hit(evidence, sentence, start, end, rule.needs_date))
    # A weak cue inside a stronger match says nothing more: "virement" in "virement effectué le 3".
    strong = [hit for hit in hits if not hit.weak]
    hits = [
        hit
        for hit in hits
        if not hit.weak or not any(other.start < hit.end and hit.start < other.end for other in strong)
    ]
    return hits, ignored


def _date_for(
    hit: _Hit, dates: list[_DateMention], received: date, direction: int, month_first: bool
) -> date | None:
    usable = [mention for mention in dates if direction < 0 or not mention.reference]
    after = [mention for mention in usable if mention.start >= hit.start]
    before = [mention for mention in usable if mention.start < hit.start]
    ordered = sorted(after, key=lambda m: (m.reference, m.start)) + sorted(
        before, key=lambda m: (m.reference, -m.start)
    )
    for mention in ordered:
        resolved = mention.resolve(received, direction, month_first)
        if resolved is not None:
            return resolved
    return None


def classify(
    text: str,
    subject: str,
    received_on: date,
    auto_reply: bool,
    language_hint: str | None = None,
) -> ReplyClassification:
    """Classify a customer's reply: see the module's docstring for the rules and their precedence."""
    month_first = (language_hint or "").lower().replace("_", "-") == "en-us"
    text = (text or "")[:MAX_TEXT_CHARS]
    hits: list[_Hit] = []
    ignored: list[Evidence] = []
    dates_of: dict[int, list[_DateMention]] = {}

    clean_subject = _REPLY_PREFIX.sub("", subject or "").strip()
    # A reply's subject is our reminder's ("Échéancier de la facture …"): only a subject the customer wrote
    # (no "RE:") is read with the rules. Autoresponders' subject words are checked on every subject.
    own_subject = clean_subject == (subject or "").strip()
    parts: list[tuple[str, str]] = [("subject", clean_subject)] if clean_subject and own_subject else []
    parts += [("text", sentence) for sentence in sentences(text or "")]
    whole = fold(f"{clean_subject}\n{text or ''}")

    if auto_reply:
        hits.append(_Hit(Evidence(AUTO, "headers", "auto-reply headers", "headers"), fold(""), 0, 0))
    subject_folded = fold(clean_subject)
    if _AUTO_SUBJECT.match(subject_folded.text):
        phrase = subject_folded.span(0, _AUTO_SUBJECT.match(subject_folded.text).end())  # type: ignore[union-attr]
        hits.append(_Hit(Evidence(AUTO, "auto.subject", phrase, "subject"), subject_folded, 0, 0))

    for source, part in parts:
        folded = fold(part)
        dates = _date_mentions(folded.text)
        found, negated = _hits(folded, source, dates)
        for hit in found:
            dates_of[id(hit)] = dates
        hits += found
        ignored += negated

    kinds = {hit.evidence.kind for hit in hits}
    ranked = [kind for kind in PRECEDENCE if kind in kinds]
    primary = ranked[0] if ranked else ReplyClass.OTHER

    def first_date(kind: ReplyClass, direction: int) -> date | None:
        for hit in hits:
            if hit.evidence.kind == kind:
                found = _date_for(hit, dates_of.get(id(hit), []), received_on, direction, month_first)
                if found is not None:
                    return found
        return None

    amount = None
    if primary != ReplyClass.OTHER:
        amount = next(
            (found for hit in hits if hit.evidence.kind == primary if (found := _amount(hit.sentence.text))),
            None,
        )
    return ReplyClassification(
        primary=primary,
        also=tuple(ranked[1:]),
        evidence=tuple(hit.evidence for hit in hits),
        ignored=tuple(ignored),
        promised_on=first_date(PROMISE, +1) if PROMISE in kinds else None,
        paid_on=first_date(PAID, -1) if PAID in kinds else None,
        amount=amount[0] if amount else None,
        currency=amount[1] if amount else None,
        requests=_details(hits, REQUEST),
        dispute_reasons=_details(hits, DISPUTE),
        invoice_refs=invoice_refs(clean_subject, text or ""),
        language=_language(whole.text, language_hint),
    )


def _details(hits: Iterable[_Hit], kind: ReplyClass) -> tuple[str, ...]:
    return tuple(
        dict.fromkeys(
            hit.evidence.detail for hit in hits if hit.evidence.kind == kind and hit.evidence.detail
        )
    )
