"""Widgets of the desk. They get data from above (the desk screen) and post messages up."""
