"""Knowledge-base and FAQ search for customer support."""
