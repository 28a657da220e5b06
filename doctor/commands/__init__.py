"""Thin Typer adapters, one module per command: parse options, call the logic, render, exit."""
