"""The voice of the buyer: what buyers ask about, what loses sales, and what is newly going wrong."""
