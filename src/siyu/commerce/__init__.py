"""Commerce: the merchant's shops, its catalogue, and the orders they take."""
