"""kefu — how good each customer-service agent of a shop really is, why, and what to pay."""

__version__ = "0.1.0"
