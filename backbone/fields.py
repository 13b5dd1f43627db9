"""Marshmallow fields for exact amounts and plausible days, shared by the HTTP schemas and the event contract."""

from datetime import date
from decimal import Decimal

from marshmallow import ValidationError, fields
from marshmallow.validate import OneOf


class ScaledDecimal(fields.Decimal):
    """An exact decimal with at most `scale` places, written as a string, never NaN or Infinity.

    Floats are refused: a JSON number reaches us as a Decimal (see backbone.web), so a float here
    means a caller lost precision before we saw the value.
    """

    def __init__(self, scale: int, *, max_digits: int = 12, **kwargs):
        kwargs.setdefault("as_string", True)
        super().__init__(allow_nan=False, **kwargs)
        self.scale = scale
        self.limit = Decimal(10) ** max_digits

    def _serialize(self, value, attr, obj, **kwargs):
        if isinstance(value, Decimal) and value.is_finite():
            value = value.quantize(Decimal(1).scaleb(-self.scale))
        return super()._serialize(value, attr, obj, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or isinstance(value, float):
            raise ValidationError("Must be a decimal number written exactly (a string or a JSON number).")
        number = super()._deserialize(value, attr, data, **kwargs)
        exponent = number.as_tuple().exponent  # an int: NaN and Infinity are refused above
        if exponent < -self.scale:
            raise ValidationError(f"At most {self.scale} decimal places.")
        if abs(number) >= self.limit:
            raise ValidationError(f"Must be smaller than {self.limit:,}.")
        return number


def scaled_decimal_properties(self, field, **kwargs) -> dict:
    """OpenAPI properties of a ScaledDecimal (an apispec attribute function): a string of digits."""
    if not isinstance(field, ScaledDecimal):
        return {}
    digits = len(str(field.limit)) - 1  # whole digits: the value is below 10 ** max_digits
    places = f"(\\.[0-9]{{1,{field.scale}}})?" if field.scale else ""
    properties = {"pattern": f"^-?[0-9]{{1,{digits}}}{places}$"}
    choices = [choice for validator in field.validators if isinstance(validator, OneOf) for choice in validator.choices]
    if choices:  # as they are written out: "4.00", not "4"
        properties["enum"] = [field._serialize(Decimal(str(choice)), None, None) for choice in choices]
    return properties


class Money(ScaledDecimal):
    """An amount in euro, to the cent."""

    def __init__(self, **kwargs):
        super().__init__(2, max_digits=10, **kwargs)


class Quantity(ScaledDecimal):
    """A quantity of goods: pieces, or kg and litres to the gram and millilitre."""

    def __init__(self, **kwargs):
        super().__init__(3, max_digits=9, **kwargs)


class Percent(ScaledDecimal):
    """A rate in percent, such as a VAT rate or a commission rate."""

    def __init__(self, **kwargs):
        super().__init__(2, max_digits=3, **kwargs)


#: the days this network can have business on: a year 1 or 9999 is a typo (and overflows date arithmetic)
EARLIEST_DAY, LATEST_DAY = date(2000, 1, 1), date(2099, 12, 31)


def _within_years(day: date) -> None:
    if not EARLIEST_DAY <= day <= LATEST_DAY:
        raise ValidationError(f"Must be between {EARLIEST_DAY.isoformat()} and {LATEST_DAY.isoformat()}.")


class Day(fields.Date):
    """A calendar day (ISO 8601), between 2000 and 2099."""

    def _deserialize(self, value, attr, data, **kwargs):
        day = super()._deserialize(value, attr, data, **kwargs)
        _within_years(day)
        return day


class Moment(fields.AwareDateTime):
    """An instant with its offset (ISO 8601), on a day between 2000 and 2099."""

    def _deserialize(self, value, attr, data, **kwargs):
        moment = super()._deserialize(value, attr, data, **kwargs)
        _within_years(moment.date())
        return moment
