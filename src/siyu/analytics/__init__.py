"""Analytics: customer-value models and metrics computed from the store's order history."""
