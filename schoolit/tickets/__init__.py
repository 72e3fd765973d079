"""Tickets: the shared support queue, SLAs, the public fault form and time accounting."""
