"""CSV import of producers and products, the way a village office keeps them in a spreadsheet.

One file of producers, one of products (either may be left out), each with a header row. Every
row is checked as the API checks a request, and registered through the same use cases, in one
transaction: if any row is wrong, every error is reported with its line and nothing is imported.

What spreadsheets export is taken as it comes: comma, semicolon or tab separated; UTF-8 (with or
without the byte-order mark Excel writes) or Windows-1252; decimal commas ("8,50"); "sì"/"no".
A product names its producer by id, VAT number or name; a producer names its home village by
ISTAT code or name.

A village operator imports for their own village only: a producer's home village defaults to it, a
row naming another village or a producer at home elsewhere is forbidden (nothing is imported), and
producers named by name are looked for among the village's own.
"""

from __future__ import annotations

import csv
import io
import re
import uuid
from dataclasses import dataclass, field

import sqlalchemy as sa
from marshmallow import ValidationError, fields, validate
from sqlalchemy.orm import Session

from services.inventory import schemas, service
from services.inventory.models import Producer, Product, Village

MAX_ROWS = 5000
PRODUCERS, PRODUCTS = "producers", "products"


class ProducerRow(schemas.ProducerIn):
    class Meta:
        exclude = ("home_village_id",)

    home_village = fields.String(load_default=None, metadata={"description": "ISTAT code or name of the village."})
    lead_time_days = fields.Integer(load_default=3, validate=validate.Range(min=0, max=365))


class ProductRow(schemas.ProductIn):
    class Meta:
        exclude = ("producer_id",)

    producer = fields.String(required=True, metadata={"description": "The producer's id, VAT number or name."})
    mountain_product = fields.Boolean(
        load_default=False,
        truthy=fields.Boolean.truthy | {"si", "sì", "s", "x"},
        falsy=fields.Boolean.falsy | {"n"},
    )


ROWS = {PRODUCERS: ProducerRow, PRODUCTS: ProductRow}
REQUIRED_COLUMNS = {PRODUCERS: ("name", "sector"), PRODUCTS: ("producer", "name", "price", "vat_rate")}
DECIMAL_COLUMNS = {"price", "vat_rate", "reorder_threshold"}
FOREIGN_VILLAGE = "This village is not yours: a village operator imports producers of their own village."
FOREIGN_PRODUCER = "This producer is at home in another village: a village operator imports products of their own producers."


class ImportRefused(Exception):
    """Some rows are wrong: nothing was imported. `errors` is file -> line -> field -> messages."""

    def __init__(self, errors: dict):
        count = sum(len(lines) for lines in errors.values())
        super().__init__(f"{count} line{'s' if count != 1 else ''} {'have' if count != 1 else 'has'} errors")
        self.errors = errors


class ImportForbidden(ImportRefused):
    """Some rows name another village, or a producer at home in another: nothing was imported."""

    def __init__(self, errors: dict):
        super().__init__(errors)
        count = sum(len(lines) for lines in errors.values())
        self.args = (f"{count} line{'s' if count != 1 else ''} {'belong' if count != 1 else 'belongs'} to another village",)


@dataclass
class Imported:
    producers: list[Producer] = field(default_factory=list)
    products: list[Product] = field(default_factory=list)
    errors: dict[str, dict[int, dict]] = field(default_factory=lambda: {PRODUCERS: {}, PRODUCTS: {}})
    #: rows that name another village than the one imported for: the import is forbidden, not just wrong
    foreign: dict[str, dict[int, dict]] = field(default_factory=lambda: {PRODUCERS: {}, PRODUCTS: {}})

    def refuse(self, file: str, line: int, column: str | tuple, message: str, *, foreign: bool = False) -> None:
        messages = (self.foreign if foreign else self.errors)[file].setdefault(line, {})
        column = column[0] if isinstance(column, tuple) else column
        messages.setdefault(column, []).append(message)


def _text(content: bytes | str) -> str:
    if isinstance(content, str):
        return content
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return content.decode("cp1252", errors="replace")


def _column(name: str) -> str:
    return re.sub(r"[\s-]+", "_", name.strip().lower())


def _cell(column: str, value: str) -> str:
    value = value.strip()
    if column in DECIMAL_COLUMNS:
        value = value.replace("€", "").replace("%", "").replace(" ", "")
        if "," in value and "." not in value:  # an Italian spreadsheet's decimal comma
            value = value.replace(",", ".")
    if column == "mountain_product":
        value = value.lower()
    return value


def read_rows(content: bytes | str, file: str, imported: Imported) -> list[tuple[int, dict]]:
    """The rows of a CSV file as (line, {column: value}), empty cells left out; header errors go to `imported`."""
    text = _text(content)
    if "\x00" in text:  # no spreadsheet writes one, and no database stores one
        imported.refuse(file, text.count("\n", 0, text.index("\x00")) + 1, "_file", "A NUL character: is this really a CSV file?")
        return []
    header_line = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=header_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        return _rows(reader, file, imported)
    except csv.Error as error:  # a cell over csv's size limit, a broken quote
        imported.refuse(file, max(reader.line_num, 1), "_file", f"Not a readable CSV file: {error}.")
        return []


def _rows(reader, file: str, imported: Imported) -> list[tuple[int, dict]]:
    header = [_column(name) for name in next(reader, [])]
    known = set(ROWS[file]().fields) - set(ROWS[file].Meta.exclude)
    for name in header:
        if name not in known:
            imported.refuse(file, 1, name or "_header", f"Unknown column; the columns are: {', '.join(sorted(known))}.")
    for name in REQUIRED_COLUMNS[file]:
        if name not in header:
            imported.refuse(file, 1, name, "This column is required.")
    if len(set(header)) != len(header):
        imported.refuse(file, 1, "_header", "A column appears twice.")
    if imported.errors[file]:
        return []
    rows = []
    for cells in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) > len(header):
            imported.refuse(file, line, "_row", f"{len(cells)} cells for {len(header)} columns.")
            continue
        rows.append((line, {name: _cell(name, value) for name, value in zip(header, cells, strict=False) if value.strip()}))
        if len(rows) > MAX_ROWS:
            imported.refuse(file, line, "_file", f"At most {MAX_ROWS} rows in one import.")
            return []
    return rows


def _load(schema_cls, row: dict, file: str, line: int, imported: Imported) -> dict | None:
    try:
        return schema_cls().load(row)
    except ValidationError as error:
        for column, messages in error.normalized_messages().items():
            for message in messages if isinstance(messages, list) else [str(messages)]:
                imported.refuse(file, line, column, message)
        return None


def _village(session: Session, reference: str) -> Village | str:
    """The village an ISTAT code or a name refers to, or why none."""
    if re.fullmatch(r"\d{6}", reference):
        found = session.scalars(sa.select(Village).where(Village.istat_code == reference)).all()
    else:
        found = session.scalars(sa.select(Village).where(sa.func.lower(Village.name) == reference.lower())).all()
    if len(found) == 1:
        return found[0]
    return "No village with this ISTAT code or name." if not found else "Several villages have this name: give the ISTAT code."


def _vat_digits(reference: str) -> str:
    return re.sub(r"^IT|\s", "", reference.strip().upper())


def _remember_failed(failed: dict[str, int], row: dict, line: int) -> None:
    """Note a refused producer row by name and VAT number, so products naming it say why they fail."""
    if row.get("name"):
        failed[row["name"].lower()] = line
    if row.get("vat_number"):
        failed[_vat_digits(row["vat_number"])] = line


def _import_producers(session: Session, rows, imported: Imported, failed: dict[str, int], scope: uuid.UUID | None) -> None:
    for line, row in rows:
        details = _load(ProducerRow, row, PRODUCERS, line, imported)
        village = _village(session, row["home_village"]) if row.get("home_village") else None
        if village is None and scope is not None:
            # an operator's producers are at home in their village
            village = session.get(Village, scope) or "Your village is not in the network."
        foreign = isinstance(village, Village) and scope is not None and village.id != scope
        if isinstance(village, str):
            imported.refuse(PRODUCERS, line, "home_village", village)
        elif foreign:
            imported.refuse(PRODUCERS, line, "home_village", FOREIGN_VILLAGE, foreign=True)
        if details is None or isinstance(village, str) or foreign:
            _remember_failed(failed, row, line)
            continue
        del details["home_village"]
        details["home_village_id"] = village.id if village else None
        if details["vat_number"] is None:
            # without a VAT number, the same name in the same village is the same producer imported again
            same_home = Producer.home_village_id.is_(None) if village is None else Producer.home_village_id == village.id
            same = sa.select(Producer.id).where(sa.func.lower(Producer.name) == details["name"].lower(), same_home)
            if session.scalar(same.limit(1)) is not None:
                imported.refuse(PRODUCERS, line, "name", "A producer with this name and home village is already registered.")
                _remember_failed(failed, row, line)
                continue
        try:
            imported.producers.append(service.register_producer(session=session, **details))
        except (service.NotFound, service.Conflict) as error:
            imported.refuse(PRODUCERS, line, error.field, error.message)
            _remember_failed(failed, row, line)


def _producer(session: Session, reference: str, failed: dict[str, int], scope: uuid.UUID | None) -> Producer | str:
    """The producer a product row names, or why none; by name, only among the producers at home in `scope`."""
    try:
        producer = session.get(Producer, uuid.UUID(reference))
        return producer if producer is not None else "No producer with this id."
    except ValueError:
        pass
    compact = _vat_digits(reference)
    if re.fullmatch(r"\d{11}", compact):
        producer = session.scalar(sa.select(Producer).where(Producer.vat_number == compact))
        if producer is not None:
            return producer
        if compact in failed:
            return f"The producer on line {failed[compact]} of the producers file has errors."
        return "No producer with this VAT number."
    by_name = sa.select(Producer).where(sa.func.lower(Producer.name) == reference.lower())
    if scope is not None:
        by_name = by_name.where(Producer.home_village_id == scope)
    found = session.scalars(by_name.limit(2)).all()
    if len(found) == 1:
        return found[0]
    if found:
        return "Several producers have this name: give the VAT number or the id."
    if reference.lower() in failed:
        return f"The producer on line {failed[reference.lower()]} of the producers file has errors."
    return "No producer with this name."


def _import_products(session: Session, rows, imported: Imported, failed: dict[str, int], scope: uuid.UUID | None) -> None:
    for line, row in rows:
        details = _load(ProductRow, row, PRODUCTS, line, imported)
        producer = _producer(session, row["producer"], failed, scope) if row.get("producer") else None
        if isinstance(producer, str):
            imported.refuse(PRODUCTS, line, "producer", producer)
        elif producer is not None and scope is not None and producer.home_village_id != scope:
            imported.refuse(PRODUCTS, line, "producer", FOREIGN_PRODUCER, foreign=True)
            continue
        if details is None or not isinstance(producer, Producer):
            continue
        del details["producer"]
        try:
            imported.products.append(service.register_product(session=session, producer_id=producer.id, **details))
        except (service.NotFound, service.Conflict) as error:
            imported.refuse(PRODUCTS, line, error.field, error.message)


def import_catalogue(
    *,
    session: Session,
    producers: bytes | str | None = None,
    products: bytes | str | None = None,
    village_id: uuid.UUID | None = None,
) -> Imported:
    """Register every producer and product of the files, or raise ImportRefused naming each wrong row.

    With `village_id` (a village operator's import) every row must belong to that village, else
    ImportForbidden. Producers go first, so products can name producers of the same import. On a
    refusal the caller's transaction must roll back: the rows registered before the error are in it.
    """
    imported = Imported()
    failed: dict[str, int] = {}  # producers the products may name, whose row was refused: name/VAT -> line
    if producers is not None:
        _import_producers(session, read_rows(producers, PRODUCERS, imported), imported, failed, village_id)
    if products is not None:
        _import_products(session, read_rows(products, PRODUCTS, imported), imported, failed, village_id)
    foreign = {file: lines for file, lines in imported.foreign.items() if lines}
    if foreign:
        raise ImportForbidden(foreign)
    errors = {file: lines for file, lines in imported.errors.items() if lines}
    if errors:
        raise ImportRefused(errors)
    return imported
