"""Inventory: schools, buildings and rooms, uplinks, access points, pupil devices and loans."""
