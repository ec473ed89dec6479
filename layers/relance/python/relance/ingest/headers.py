"""Column headers, as accounting exports spell them, mapped to the fields Relance knows.

Headers are compared folded (lower case, no accents, punctuation as `_`), so "N° Facture", "n°facture"
and "N_FACTURE" are the same column. The aliases differ by kind: "montant" is an invoice's total in an
invoices file and the amount received in a payments file.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from relance.ingest.fields import fold
from relance.ingest.kinds import FileKind

_CUSTOMER_ID = (
    "customer_id",
    "client",
    "code_client",
    "id_client",
    "client_id",
    "customer",
    "n_client",
    "numero_client",
    "ref_client",
    "reference_client",
    "customer_number",
    "compte_client",
)

_INVOICE_NUMBER = (
    "invoice_id",
    "invoice_number",
    "invoice",
    "numero",
    "n_facture",
    "numero_facture",
    "numero_de_facture",
    "facture",
    "num_facture",
    "no_facture",
    "ref_facture",
    "reference_facture",
)
# The late-payment rate agreed in the customer's terms or on the invoice, percent a year.
_CONTRACT_RATE = (
    "contract_rate",
    "late_interest_rate",
    "penalty_rate",
    "taux_penalites",
    "taux_de_penalites",
    "taux_des_penalites",
    "taux_penalites_de_retard",
    "taux_interet_retard",
    "taux_d_interet_de_retard",
)

ALIASES: Mapping[FileKind, Mapping[str, Sequence[str]]] = {
    FileKind.CUSTOMERS: {
        "customer_id": _CUSTOMER_ID,
        "name": (
            "name",
            "nom",
            "raison_sociale",
            "nom_client",
            "customer_name",
            "societe",
            "company",
            "denomination",
        ),
        "email": (
            "email",
            "e_mail",
            "mail",
            "courriel",
            "adresse_email",
            "adresse_e_mail",
            "email_address",
            "email_facturation",
            "billing_email",
        ),
        "cc": ("cc", "copie", "emails_cc", "email_cc", "en_copie"),
        "language": ("language", "langue", "lang", "locale"),
        "kind": ("kind", "type", "type_client", "customer_type", "categorie", "segment"),
        "address": ("address", "adresse", "adresse_1", "address_1", "address_line_1", "rue", "street"),
        "address2": (
            "address2",
            "address_2",
            "adresse_2",
            "address_line_2",
            "complement",
            "complement_d_adresse",
            "complement_adresse",
        ),
        "postcode": ("postcode", "postal_code", "zip", "zip_code", "code_postal", "cp"),
        "city": ("city", "ville", "town", "localite", "commune"),
        "country": ("country", "pays", "country_code", "code_pays"),
        "siren": ("siren", "siret", "n_siren", "numero_siren", "company_number"),
        "account_manager_email": (
            "account_manager_email",
            "account_manager",
            "commercial",
            "email_commercial",
            "charge_de_compte",
            "gestionnaire",
            "email_gestionnaire",
        ),
        "policy": ("policy", "politique", "politique_de_relance", "scenario", "scenario_de_relance"),
        "waive_penalties": (
            "waive_penalties",
            "sans_penalites",
            "exonere_penalites",
            "no_penalties",
            "penalites_exonerees",
        ),
        "do_not_dun": ("do_not_dun", "ne_pas_relancer", "pas_de_relance", "no_dunning", "exclu_relance"),
        "contract_rate": _CONTRACT_RATE,
        # Where a claim goes to court (relance.domain.collection): the debtor's legal form, and whether it is
        # a merchant or artisan when the form does not say (an entrepreneur individuel). Optional.
        "legal_form": (
            "legal_form",
            "forme_juridique",
            "forme",
            "statut_juridique",
            "company_type",
            "entity_type",
        ),
        "merchant": ("merchant", "commercant", "est_commercant", "commercant_ou_artisan", "trader"),
        # Shown on the call sheet of a customer to phone; optional.
        "phone": (
            "phone",
            "telephone",
            "tel",
            "mobile",
            "portable",
            "phone_number",
            "telephone_number",
            "mobile_phone",
            "numero_de_telephone",
            "n_telephone",
            "n_tel",
            "tel_mobile",
            "telephone_mobile",
            "telephone_portable",
            "gsm",
        ),
    },
    FileKind.INVOICES: {
        # A "pièce" is the invoice in an accounting export, but the bank's own voucher in a payments file.
        "invoice_id": (*_INVOICE_NUMBER, "piece", "n_piece", "numero_piece"),
        "customer_id": _CUSTOMER_ID,
        "issue_date": (
            "issue_date",
            "invoice_date",
            "date",
            "date_facture",
            "date_de_facture",
            "date_d_emission",
            "date_emission",
            "emise_le",
            "date_piece",
        ),
        "due_date": (
            "due_date",
            "echeance",
            "date_d_echeance",
            "date_echeance",
            "date_limite",
            "date_limite_de_paiement",
            "due",
            "due_on",
        ),
        "currency": ("currency", "devise", "monnaie", "currency_code"),
        "total": (
            "total",
            "amount",
            "montant",
            "montant_ttc",
            "total_ttc",
            "ttc",
            "total_amount",
            "amount_due",
            "invoice_total",
            "montant_facture",
        ),
        "amount_paid": (
            "amount_paid",
            "paid",
            "deja_paye",
            "montant_paye",
            "montant_regle",
            "regle",
            "paye",
            "total_paid",
        ),
        "payment_link": ("payment_link", "lien_de_paiement", "lien_paiement", "payment_url", "pay_url"),
        "purchase_order": (
            "purchase_order",
            "po",
            "bon_de_commande",
            "n_commande",
            "numero_commande",
            "commande",
            "order",
            "order_number",
            "ref_commande",
        ),
        "status": ("status", "statut", "etat"),
        "contract_rate": _CONTRACT_RATE,
    },
    FileKind.PAYMENTS: {
        "invoice_id": _INVOICE_NUMBER,
        "paid_on": (
            "paid_on",
            "payment_date",
            "date",
            "date_paiement",
            "date_de_paiement",
            "date_reglement",
            "date_de_reglement",
            "date_encaissement",
            "date_valeur",
            "paid_at",
            "regle_le",
            "paye_le",
        ),
        "amount": (
            "amount",
            "montant",
            "montant_regle",
            "montant_paye",
            "montant_encaisse",
            "paid",
            "amount_paid",
            "reglement",
            "credit",
        ),
        "currency": ("currency", "devise", "monnaie", "currency_code"),
        "payment_id": (
            "payment_id",
            "reference",
            "ref",
            "reference_paiement",
            "ref_paiement",
            "reference_reglement",
            "id_paiement",
            "payment_reference",
            "transaction_id",
            "n_reglement",
            "numero_reglement",
        ),
        "customer_id": _CUSTOMER_ID,
    },
}

REQUIRED: Mapping[FileKind, tuple[str, ...]] = {
    FileKind.CUSTOMERS: ("customer_id", "name", "email"),
    FileKind.INVOICES: ("invoice_id", "customer_id", "issue_date", "due_date", "total"),
    FileKind.PAYMENTS: ("invoice_id", "paid_on", "amount"),
}


@dataclass(frozen=True)
class ColumnMap:
    """Which header of the file feeds which field, and the headers nobody reads (reported as a warning)."""

    fields: Mapping[str, str]
    ignored: tuple[str, ...]

    def missing(self, kind: FileKind) -> tuple[str, ...]:
        return tuple(name for name in REQUIRED[kind] if name not in self.fields.values())


def map_columns(headers: Iterable[str], kind: FileKind) -> ColumnMap:
    """The first header matching a field wins; a later one with the same meaning is ignored, not merged."""
    lookup = {alias: name for name, aliases in ALIASES[kind].items() for alias in aliases}
    fields: dict[str, str] = {}
    ignored: list[str] = []
    taken: set[str] = set()
    for header in headers:
        name = lookup.get(fold(header))
        if name is None or name in taken:
            ignored.append(header)
            continue
        fields[header] = name
        taken.add(name)
    return ColumnMap(fields=fields, ignored=tuple(ignored))
