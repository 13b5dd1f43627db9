"""What an alert says, in the producer's language."""

TEMPLATES = {
    "it": {
        "low_stock": "Scorte basse: {product} presso {place}. Rimasti {on_hand}; consegna suggerita {suggested}.",
        "out_of_stock": "Esaurito: {product} presso {place}. Rimasti {on_hand}.",
        "discrepancy": "Giacenza incoerente: {product} presso {place} risulta {on_hand}. Serve un inventario.",
    },
    "en": {
        "low_stock": "Low stock: {product} at {place}. {on_hand} left; suggested delivery {suggested}.",
        "out_of_stock": "Out of stock: {product} at {place}. {on_hand} left.",
        "discrepancy": "Stock mismatch: {product} at {place} shows {on_hand}. A stocktake is due.",
    },
}


def render(kind: str, language: str, *, product: str, place: str, on_hand, suggested) -> str:
    """The alert's text, in `language` (Italian when the language is not one we write)."""
    template = TEMPLATES.get(language, TEMPLATES["it"])[kind]
    return template.format(product=product, place=place, on_hand=_number(on_hand), suggested=_number(suggested))


def _number(value) -> str:
    if value is None:
        return "-"
    text = format(value.normalize(), "f") if hasattr(value, "normalize") else str(value)
    return text
