"""Neural-network building blocks (`ember.nn`)."""
