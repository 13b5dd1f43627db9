"""Reporting's HTTP schemas."""

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from backbone.fields import Day, Moment, Money, Quantity


class DailyReportQuery(Schema):
    group_by = fields.String(required=True, validate=validate.OneOf(("producer", "sector")))
    date_from = Day(required=True, data_key="from")
    date_to = Day(required=True, data_key="to")
    key = fields.String(load_default=None, metadata={"description": "One producer id or one sector."})

    @validates_schema
    def _period(self, data, **_):
        if data["date_to"] < data["date_from"]:
            raise ValidationError("Must not be before 'from'.", "to")
        if (data["date_to"] - data["date_from"]).days > 366:
            raise ValidationError("A daily report covers at most a year.", "to")


class DailyRow(Schema):
    key = fields.String()
    business_date = Day()
    quantity = Quantity()
    gross = Money()
    vat = Money()
    net = Money()
    lines = fields.Integer()
    receipts = fields.Integer()


class DailyReport(Schema):
    group_by = fields.String()
    date_from = Day(data_key="from")
    date_to = Day(data_key="to")
    watermark = Moment(allow_none=True, metadata={"description": "When the newest event included was recorded."})
    pending_keys = fields.Integer(metadata={"description": "Aggregates waiting to be recomputed: not yet included."})
    rows = fields.List(fields.Nested(DailyRow))


# -- the province's reports ---------------------------------------------------------------------

GRANULARITIES = ("total", "day", "week", "month", "season", "year")
DIMENSIONS = ("village", "selling_place", "sector", "producer", "product", "mountain_product", "vat_rate")
FORMATS = ("json", "csv", "xlsx")
LANGUAGES = ("en", "it")
#: the longest period one report covers
MAX_REPORT_DAYS = 3 * 366


class SalesReportQuery(Schema):
    date_from = Day(required=True, data_key="from")
    date_to = Day(required=True, data_key="to")
    granularity = fields.String(load_default="total", validate=validate.OneOf(GRANULARITIES))
    group_by = fields.List(fields.String(validate=validate.OneOf(DIMENSIONS)), load_default=list)
    villages = fields.List(fields.UUID(), load_default=list, data_key="village")
    selling_places = fields.List(fields.UUID(), load_default=list, data_key="selling_place")
    sectors = fields.List(fields.String(validate=validate.Length(min=1, max=50)), load_default=list, data_key="sector")
    producers = fields.List(fields.UUID(), load_default=list, data_key="producer")
    mountain_product = fields.Boolean(load_default=None)
    compare = fields.List(fields.String(validate=validate.OneOf(("previous", "last_year"))), load_default=list)
    format = fields.String(load_default="json", validate=validate.OneOf(FORMATS))
    lang = fields.String(load_default="en", validate=validate.OneOf(LANGUAGES))

    @validates_schema
    def _period(self, data, **_):
        if data["date_to"] < data["date_from"]:
            raise ValidationError("Must not be before 'from'.", "to")
        if (data["date_to"] - data["date_from"]).days > MAX_REPORT_DAYS:
            raise ValidationError("A report covers at most three years.", "to")
        if len(set(data["group_by"])) != len(data["group_by"]):
            raise ValidationError("Each dimension at most once.", "group_by")


class Comparison(Schema):
    quantity = Quantity()
    gross = Money()
    net_sales = Money()
    growth = fields.Decimal(as_string=True, allow_none=True, metadata={"description": "Change of net sales, percent."})


class SalesRow(Schema):
    period = fields.String()
    period_start = Day()
    period_end = Day()
    village = fields.UUID()
    village_name = fields.String(allow_none=True)
    selling_place = fields.UUID()
    selling_place_name = fields.String(allow_none=True)
    sector = fields.String()
    producer = fields.UUID()
    producer_name = fields.String(allow_none=True)
    product = fields.UUID()
    product_name = fields.String(allow_none=True)
    mountain_product = fields.Boolean()
    vat_rate = Money()
    quantity = Quantity()
    gross = Money()
    vat = Money()
    net = Money(metadata={"description": "Gross less VAT."})
    vat_by_rate = fields.Dict(keys=fields.String(), values=Money())
    lines = fields.Integer()
    receipts = fields.Integer()
    average_basket = Money(allow_none=True)
    refunded_quantity = Quantity()
    refunded_gross = Money()
    refunded_vat = Money()
    refunds = fields.Integer()
    net_sales = Money(metadata={"description": "Gross less refunds."})
    commission = Money()
    commission_vat = Money()
    payout = Money(metadata={"description": "What the producers are owed: net sales less commission and its VAT."})
    restocked_quantity = Quantity()
    sell_through = fields.Decimal(as_string=True, allow_none=True)
    days_out_of_stock = fields.Integer()
    previous = fields.Nested(Comparison)
    last_year = fields.Nested(Comparison)


class ComparedPeriod(Schema):
    date_from = Day(data_key="from")
    date_to = Day(data_key="to")


class SalesReport(Schema):
    date_from = Day(data_key="from")
    date_to = Day(data_key="to")
    granularity = fields.String()
    group_by = fields.List(fields.String())
    receipts_counted = fields.String()
    watermark = Moment(allow_none=True, metadata={"description": "When the newest event included was recorded."})
    pending_keys = fields.Integer(metadata={"description": "Aggregates waiting to be recomputed: not yet included."})
    comparisons = fields.Dict(keys=fields.String(), values=fields.Nested(ComparedPeriod))
    rows = fields.List(fields.Nested(SalesRow))


# -- settlements --------------------------------------------------------------------------------


class Month(Day):
    """A calendar month written YYYY-MM, loaded as its first day."""

    def __init__(self, **kwargs):
        kwargs["metadata"] = {"pattern": r"^[0-9]{4}-[0-9]{2}$", **kwargs.get("metadata", {})}
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or len(value) != 7 or value[4] != "-":
            raise ValidationError("Must be a month written YYYY-MM.")
        return super()._deserialize(f"{value}-01", attr, data, **kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else value.strftime("%Y-%m")


class IssueStatements(Schema):
    month = Month(required=True)


class MonthQuery(Schema):
    month = Month(required=True)


class SepaQuery(Schema):
    month = Month(required=True)
    execution_date = Day(load_default=None, metadata={"description": "Default: tomorrow."})


class LanguageQuery(Schema):
    lang = fields.String(load_default="it", validate=validate.OneOf(LANGUAGES))


class StatementSchema(Schema):
    statement_id = fields.UUID()
    producer_id = fields.UUID()
    producer_name = fields.String()
    month = Month(attribute="month_start")
    issued_at = Moment()
    iban = fields.String(allow_none=True)
    iban_valid = fields.Boolean()
    gross = Money()
    vat = Money()
    refunded_gross = Money()
    commission = Money()
    commission_vat = Money()
    payout = Money()
    lines = fields.Integer()
    adjustments = fields.Integer(metadata={"description": "Lines of earlier months that arrived late."})


class StatementLineSchema(Schema):
    kind = fields.String()
    document_id = fields.UUID(metadata={"description": "The receipt (sale) or the refund."})
    line_no = fields.Integer()
    adjustment = fields.Boolean()
    business_date = Day()
    selling_place_id = fields.UUID()
    product_id = fields.UUID()
    quantity = Quantity()
    gross = Money()
    vat_rate = Money()
    vat = Money()
    commission_rate = Money()
    commission = Money()


class StatementDetail(StatementSchema):
    statement_lines = fields.List(fields.Nested(StatementLineSchema), data_key="lines_detail")


class ProducerSalesQuery(SalesReportQuery):
    """A producer's own report: the same query without choosing producers."""

    class Meta:
        exclude = ("producers",)

    @validates_schema
    def _own_only(self, data, **_):
        if "producer" in data["group_by"]:
            raise ValidationError("A producer's report is theirs only: do not group by producer.", "group_by")


# -- open data, indicators, export jobs ---------------------------------------------------------


class OpenDataQuery(Schema):
    date_from = Day(required=True, data_key="from")
    date_to = Day(required=True, data_key="to")
    k = fields.Integer(load_default=None, validate=validate.Range(min=1), metadata={"description": "At least the configured k."})
    format = fields.String(load_default="json", validate=validate.OneOf(FORMATS))
    lang = fields.String(load_default="en", validate=validate.OneOf(LANGUAGES))

    @validates_schema
    def _period(self, data, **_):
        if data["date_to"] < data["date_from"]:
            raise ValidationError("Must not be before 'from'.", "to")


class OpenDataCell(Schema):
    net_sales = Money(allow_none=True)
    suppressed = fields.String(allow_none=True, metadata={"description": "primary, complementary or null"})


class OpenDataRow(Schema):
    village = fields.UUID(allow_none=True)
    village_name = fields.String(allow_none=True)
    cells = fields.Dict(keys=fields.String(), values=fields.Nested(OpenDataCell))


class OpenData(Schema):
    date_from = Day(data_key="from")
    date_to = Day(data_key="to")
    k = fields.Integer()
    sectors = fields.List(fields.String())
    rows = fields.List(fields.Nested(OpenDataRow))


class IndicatorsQuery(Schema):
    date_from = Day(required=True, data_key="from")
    date_to = Day(required=True, data_key="to")
    level = fields.String(load_default="village", validate=validate.OneOf(("village", "selling_place")))

    @validates_schema
    def _period(self, data, **_):
        if data["date_to"] < data["date_from"]:
            raise ValidationError("Must not be before 'from'.", "to")
        if (data["date_to"] - data["date_from"]).days > MAX_REPORT_DAYS:
            raise ValidationError("A report covers at most three years.", "to")


class Indicator(Schema):
    village = fields.UUID()
    village_name = fields.String(allow_none=True)
    selling_place = fields.UUID()
    selling_place_name = fields.String(allow_none=True)
    population = fields.Integer(allow_none=True)
    active_producers = fields.Integer()
    net_sales = Money()
    receipts = fields.Integer()
    average_basket = Money(allow_none=True)
    revenue_per_inhabitant = Money(allow_none=True)
    sector_mix = fields.Dict(keys=fields.String(), values=fields.Decimal(as_string=True))
    growth_previous = fields.Decimal(as_string=True, allow_none=True)
    growth_last_year = fields.Decimal(as_string=True, allow_none=True)
    tourist_season_share = fields.Decimal(as_string=True, allow_none=True)


class Indicators(Schema):
    date_from = Day(data_key="from")
    date_to = Day(data_key="to")
    level = fields.String()
    watermark = Moment(allow_none=True)
    rows = fields.List(fields.Nested(Indicator))


class ExportRequest(SalesReportQuery):
    format = fields.String(load_default="xlsx", validate=validate.OneOf(("csv", "xlsx")))


class ExportStatus(Schema):
    export_id = fields.UUID()
    status = fields.String()
    requested_at = Moment()
    finished_at = Moment(allow_none=True)
    format = fields.String()
    rows = fields.Integer(allow_none=True)
    error = fields.String(allow_none=True)
    download = fields.String(allow_none=True)


def _row_dumpers(schema: Schema) -> dict:
    """Per field of `schema`, a function writing a value as the field's own dump does, without marshmallow's per-value machinery.

    The report's rows are some 10,000 cells of about 25 figures: dumping them field by field is most of
    a response's time. Fields of other kinds than the rows have are dumped by the field itself.
    """
    from decimal import Decimal

    from backbone.fields import ScaledDecimal

    def scaled(unit):
        def dump(value):
            if value is None:
                return None
            if isinstance(value, Decimal) and value.is_finite():
                value = value.quantize(unit)
            return format(Decimal(str(value)), "f")

        return dump

    def decimal(value):
        return None if value is None else format(Decimal(str(value)), "f")

    def optional(convert):
        return lambda value: None if value is None else convert(value)

    dumpers = {}
    for name, field in schema.fields.items():
        if isinstance(field, ScaledDecimal):
            dumpers[name] = scaled(Decimal(1).scaleb(-field.scale))
        elif isinstance(field, fields.Decimal) and field.as_string and field.places is None:
            dumpers[name] = decimal
        elif type(field) is fields.Integer and not field.as_string:
            dumpers[name] = optional(int)
        elif type(field) in (fields.String, fields.UUID):
            dumpers[name] = optional(str)
        elif type(field) is fields.Date:
            dumpers[name] = optional(lambda value: value.isoformat())
        elif (
            type(field) is fields.Dict and isinstance(field.value_field, ScaledDecimal) and type(field.key_field) is fields.String
        ):
            value = scaled(Decimal(1).scaleb(-field.value_field.scale))
            dumpers[name] = optional(lambda mapping, value=value: {str(k): value(v) for k, v in mapping.items()})
        else:
            dumpers[name] = lambda value, field=field, name=name: field._serialize(value, name, None)
    return dumpers


_SALES_ROW = _row_dumpers(SalesRow())
_SALES_REPORT = SalesReport(exclude=("rows",))


def dump_sales_report(report: dict) -> dict:
    """What SalesReport().dump(report) gives, its rows written by `_row_dumpers` (tests compare the two)."""
    dumped = _SALES_REPORT.dump(report)
    dumped["rows"] = [
        {name: _SALES_ROW[name](value) for name, value in row.items() if name in _SALES_ROW} for row in report["rows"]
    ]
    return dumped
