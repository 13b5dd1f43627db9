"""Inventory's settings; each can be overridden by INVENTORY_<NAME> in the environment."""


class Config:
    #: a JSON list in the environment, e.g. INVENTORY_SECTORS='["agri-food", "handicraft"]'
    SECTORS = ("agri-food", "handicraft", "tourism-services", "other")
    #: days of sales the rate behind "days of cover" is measured over
    COVER_WINDOW_DAYS = 28
    #: the rate is never measured over less than this, so one busy morning is not a trend
    COVER_MIN_DAYS = 7
