"""Inventory's settings; each can be overridden by INVENTORY_<NAME> in the environment."""


class Config:
    SECTORS = ("agri-food", "handicraft", "tourism-services", "other")
