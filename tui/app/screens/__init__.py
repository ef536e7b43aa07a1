"""Screens and modal dialogs of the desk."""
