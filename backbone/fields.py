"""Marshmallow fields for exact amounts, shared by the HTTP schemas and the event contract."""

from decimal import Decimal

from marshmallow import ValidationError, fields


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
    return {"pattern": f"^-?[0-9]{{1,{digits}}}{places}$"}


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
