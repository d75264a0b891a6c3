"""SQL tables. Persons are keyed by ``person_key``, a keyed hash (HMAC) of the resident ID, so
joins never need the ID itself; the ID is kept in one column that a later issue encrypts.

Layering: ``XBase`` holds the shared fields, ``X`` the table, ``XPublic`` what leaves the
library (masked). Payment flows do not live here: see ``creditfarm.storage.paystore`` (Parquet).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Column, Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

__all__ = [
    "Archive",
    "Assessment",
    "Blacklist",
    "Card",
    "CreditAreaResult",
    "Decision",
    "GovRecord",
    "Household",
    "HouseholdBase",
    "HouseholdPublic",
    "ImportRun",
    "KeyedValue",
    "Loan",
    "Person",
    "PersonBase",
    "PersonPublic",
    "Point",
    "QuarantineRow",
    "RateSnapshot",
    "Region",
    "VillageStatus",
    "WorkspaceBinding",
]


def _json(**kw: Any) -> Any:
    return Field(default_factory=dict, sa_column=Column(JSON, nullable=False), **kw)


def _utcnow() -> datetime:
    # SQLModel's UTCDateTime columns refuse naive datetimes.
    return datetime.now(UTC)


class Region(SQLModel, table=True):
    """A village (行政村) keyed by its 12-digit statistical area code."""

    village_code: str = Field(primary_key=True, max_length=12)
    village_name: str = Field(index=True)
    town_code: str | None = Field(default=None, index=True)
    town_name: str = Field(index=True)
    county_code: str | None = None
    county_name: str | None = None
    extra: dict[str, Any] = _json()
    run_id: int | None = Field(default=None, foreign_key="importrun.id")


class HouseholdBase(SQLModel):
    household_no: str = Field(primary_key=True, max_length=32)  # 户号 from 户籍
    village_code: str | None = Field(default=None, foreign_key="region.village_code", index=True)


class Household(HouseholdBase, table=True):
    """A 户籍 household: the denominator of every rate."""

    head_person_key: str | None = Field(default=None, index=True)
    run_id: int | None = Field(default=None, foreign_key="importrun.id")


class HouseholdPublic(HouseholdBase):
    head_name_masked: str = ""
    members: int = 0
    filed: bool = False


class PersonBase(SQLModel):
    name: str
    household_no: str | None = Field(default=None, foreign_key="household.household_no", index=True)
    relation_to_head: str | None = None
    village_code: str | None = Field(default=None, index=True)
    birth_date: date | None = None


class Person(PersonBase, table=True):
    person_key: str = Field(primary_key=True, max_length=32)  # HMAC of the resident ID
    # Personal financial information: sealed at rest (storage.sealed), masked copy beside it.
    id_number: str
    id_masked: str | None = None  # 前6后4, for lists and partial search
    # Protected attributes: used only for fairness checks, never as model features.
    gender: str | None = None
    ethnicity: str | None = None
    extra: dict[str, Any] = _json()
    run_id: int | None = Field(default=None, foreign_key="importrun.id")


class PersonPublic(PersonBase):
    person_key: str
    id_masked: str


class Archive(SQLModel, table=True):
    """农户信用档案: one per filed household, keyed by the head's person key."""

    head_person_key: str = Field(primary_key=True, max_length=32)
    household_no: str | None = Field(default=None, index=True)  # linked through any member
    archive_id: str | None = None
    head_name: str
    filed_date: date
    village_code: str | None = Field(default=None, index=True)
    phone: str | None = None  # personal financial information, sealed at rest
    household_size: int | None = None
    labor_count: int | None = None
    head_education: str | None = None
    main_industry: str | None = None
    main_crops: str | None = None
    land_area_mu: float | None = None
    transferred_in_mu: float | None = None
    livestock_units: float | None = None
    house_type: str | None = None
    machinery_value: float | None = None
    annual_income: float | None = None
    annual_expense: float | None = None
    deposits: float | None = None
    other_debt: float | None = None
    village_evaluation: str | None = None
    collector: str | None = None
    extra: dict[str, Any] = _json()
    run_id: int | None = Field(default=None, foreign_key="importrun.id")


class GovRecord(SQLModel, table=True):
    """One row of a government source (criminal, business, tax, …); fields as JSON."""

    __table_args__ = (UniqueConstraint("source", "natural_key"),)
    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(index=True)
    natural_key: str = Field(max_length=64)  # hash of the source's key columns
    person_key: str = Field(index=True, max_length=32)
    record_date: date | None = None
    data: dict[str, Any] = _json()
    extra: dict[str, Any] = _json()
    run_id: int | None = Field(default=None, foreign_key="importrun.id")


class Card(SQLModel, table=True):
    card_key: str = Field(primary_key=True, max_length=32)  # HMAC of the card number
    card_masked: str
    person_key: str = Field(index=True, max_length=32)
    extra: dict[str, Any] = _json()
    run_id: int | None = Field(default=None, foreign_key="importrun.id")


class Point(SQLModel, table=True):
    """助农取款服务点."""

    point_id: str = Field(primary_key=True)
    village_code: str | None = Field(default=None, index=True)
    opened_date: date | None = None
    operator: str | None = None
    status: str | None = None
    extra: dict[str, Any] = _json()
    run_id: int | None = Field(default=None, foreign_key="importrun.id")


class Loan(SQLModel, table=True):
    loan_id: str = Field(primary_key=True)
    person_key: str = Field(index=True, max_length=32)
    product: str | None = None
    issue_date: date
    maturity_date: date | None = None
    amount: float
    balance: float | None = None
    max_days_overdue: int | None = None
    classification: str | None = None
    status: str | None = None
    extra: dict[str, Any] = _json()
    run_id: int | None = Field(default=None, foreign_key="importrun.id")


class Blacklist(SQLModel, table=True):
    """逃废债黑名单."""

    person_key: str = Field(primary_key=True, max_length=32)
    listed_date: date | None = None
    reason: str | None = None
    extra: dict[str, Any] = _json()
    run_id: int | None = Field(default=None, foreign_key="importrun.id")


class ImportRun(SQLModel, table=True):
    """One file imported: what it held and what became of its rows."""

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(index=True)
    file_name: str
    file_sha256: str = Field(index=True, max_length=64)
    started_at: datetime = Field(default_factory=_utcnow)
    finished_at: datetime | None = None
    status: str = "running"  # running, done, failed, unchanged
    rows_read: int = 0
    rows_accepted: int = 0
    rows_quarantined: int = 0
    duplicates_merged: int = 0
    rows_linked: int = 0  # accepted rows linked to a 户籍 household
    warnings: dict[str, Any] = _json()  # counts by warning code
    message: str | None = None


class KeyedValue(SQLModel, table=True):
    """The sealed value behind each keyed hash the imports made (resident IDs and card
    numbers), so every key can be made again under a new secret (``maintenance.rekey``)."""

    key: str = Field(primary_key=True, max_length=32)
    value: str  # sealed (storage.sealed)


class QuarantineRow(SQLModel, table=True):
    """A rejected row, kept whole with where it came from and why."""

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="importrun.id", index=True)
    source: str
    file_name: str
    line: int  # 1-based line (CSV) or row (xlsx) in the file
    column: str | None = None
    reason: str
    detail: str | None = None
    row: dict[str, Any] = _json()  # values as read, header → value; personal numbers masked
    sealed: str | None = None  # the masked values' originals, sealed (storage.sealed)


class Assessment(SQLModel, table=True):
    """One scoring of one household: probability, score, grade, limit, rules and reasons."""

    __table_args__ = (Index("ix_assessment_hh_asof", "household_no", "as_of"),)
    id: int | None = Field(default=None, primary_key=True)
    household_no: str = Field(foreign_key="household.household_no")
    village_code: str | None = Field(default=None, index=True)
    as_of: date = Field(index=True)
    model_version: str = Field(index=True)
    policy_version: str
    probability: float
    score: float
    grade: str
    credit_household: bool
    pre_credit_limit: float
    pre_credited: bool
    thin_file: bool
    vetoes: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    caps: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    features: dict[str, Any] = _json()
    contributions: dict[str, Any] = _json()  # feature → log-odds contribution, plus "_base"
    reasons: dict[str, Any] = _json()
    created_at: datetime = Field(default_factory=_utcnow)
    # Optimistic versioning of the decisions on this assessment: every decision, approval or
    # rejection moves it by one, and only if it still holds the value the person saw.
    decision_version: int = 0


class Decision(SQLModel, table=True):
    """A person's review of an automated grade (PIPL Art. 24): confirm, adjust or decline.

    ``status``: ``effective`` (the line in force for its assessment), ``pending`` (waits for a
    second person's approval: maker-checker), ``superseded`` (replaced by a later decision),
    ``rejected`` (refused by the approver). At most one effective and one pending decision per
    assessment (partial unique indexes); ``version`` grows at every change of the row."""

    __table_args__ = (
        Index(
            "ux_decision_effective",
            "assessment_id",
            unique=True,
            sqlite_where=text("status = 'effective'"),
            postgresql_where=text("status = 'effective'"),
        ),
        Index(
            "ux_decision_pending",
            "assessment_id",
            unique=True,
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    assessment_id: int = Field(foreign_key="assessment.id", index=True)
    household_no: str = Field(index=True)
    action: str  # confirm, adjust, decline
    limit: float | None = None
    credit_household: bool | None = None  # the decided 信用户 flag
    reason: str
    decided_by: str
    decided_at: datetime = Field(default_factory=_utcnow)
    status: str = Field(default="effective", max_length=16, index=True)
    approval_needed: str = ""  # why it needs a second person: veto_override, above_authority
    reviewed_by: str | None = None  # who approved or rejected it
    reviewed_at: datetime | None = None
    review_note: str | None = None
    version: int = 1


class RateSnapshot(SQLModel, table=True):
    """Filing and pre-credit counts per area as of a month's end (``as_of``, a date of the
    data: filing dates, assessment dates), computed at ``taken_at``. Rows from before monthly
    snapshots have no ``as_of``."""

    id: int | None = Field(default=None, primary_key=True)
    taken_at: datetime = Field(default_factory=_utcnow, index=True)
    as_of: date | None = Field(default=None, index=True)
    level: str
    code: str
    households: int
    filed: int
    pre_credited: int


class CreditAreaResult(SQLModel, table=True):
    """A 信用村 / 信用乡(镇) assessment of one year (``creditfarm.reports.credit_village``):
    per year, level (village / town) and area, whether it was rated, with the figures it was
    rated on. Assessing a year again replaces that year's rows; other years are kept, so the
    history (评定 / 保持 / 摘牌) reads consecutive years."""

    year: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    level: str = Field(primary_key=True, max_length=8)
    code: str = Field(primary_key=True, max_length=12)
    name: str = ""
    town_name: str = ""
    credit: bool
    figures: dict[str, Any] = _json()
    policy_version: str = ""
    as_of: date | None = None  # the data's date the figures stand at
    assessed_by: str = Field(default="", max_length=64)
    assessed_at: datetime = Field(default_factory=_utcnow)


class VillageStatus(SQLModel, table=True):
    """Per village: 户籍 households, filed and pre-credited, as ``creditfarm.reports.rates``
    last counted them — a cache, read while ``stamp`` still describes the data (the newest
    import run and assessment, the row counts), counted again when it does not. The row of
    village ``*`` carries the stamp of an empty count too."""

    village_code: str = Field(primary_key=True, max_length=12)
    households: int
    filed: int
    pre_credited: int
    stamp: str = Field(max_length=200)


class WorkspaceBinding(SQLModel, table=True):
    """The one row binding this database to its payment store and model registry.

    Written when the database is first opened (``creditfarm.workspace``). Paths are relative to
    the folder of a SQLite file (so the folder moves as a whole) and absolute for a server
    database (every machine mounts the shared folders at that path).
    """

    # One workspace per database: a second row cannot exist, so two processes creating the
    # same database at once agree on one workspace id.
    __table_args__ = (CheckConstraint("slot = 1", name="ck_workspacebinding_one_row"),)
    slot: int = Field(default=1, primary_key=True, sa_column_kwargs={"autoincrement": False})
    workspace_id: str = Field(max_length=32, unique=True)  # random; also in the store's marker
    created_at: datetime = Field(default_factory=_utcnow)
    payments_dir: str
    model_dir: str
    # The model version this workspace scores with; the registry may hold other workspaces'.
    current_model: str | None = None
    # HMAC of a fixed text under the keyed-hash secret (``identity.key_check``): every person
    # key in this database was made with that secret, so another one is refused.
    key_check: str | None = Field(default=None, max_length=16)
    # The data key personal numbers are sealed under (``storage.sealed.key_id``); null until
    # the first open has sealed whatever an earlier version stored in plain text.
    data_key_id: str | None = Field(default=None, max_length=8)


class UserAccount(SQLModel, table=True):
    """A person who signs in: role, villages, authority limit, password hash, lock-out state.
    The role's permissions are in ``creditfarm.access.roles``; this row only says who."""

    username: str = Field(primary_key=True, max_length=64)
    display_name: str = ""
    role: str = Field(max_length=32)
    # Assigned villages (village-bound roles); JSON list, empty: none (fail closed).
    villages: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    authority_limit: float | None = None  # an officer's own decision limit (yuan)
    password_hash: str = ""
    disabled: bool = False
    failed_attempts: int = 0
    locked_until: datetime | None = None
    created_at: datetime = Field(default_factory=_utcnow)


class AuditEvent(SQLModel, table=True):
    """One line of the audit trail: append-only, each row's hash covering the previous row's
    (``creditfarm.accounts.audit``), so a removed, inserted or altered row is detected."""

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=_utcnow, index=True)
    actor: str = Field(max_length=64, index=True)
    role: str = Field(default="", max_length=32)
    action: str = Field(max_length=32, index=True)
    target: str = ""
    detail: str = ""
    origin: str = ""
    prev_hash: str = Field(max_length=64)
    row_hash: str = Field(max_length=64)
