"""Visit plans, appointments, visit reports, survey form, daily and weekly reports."""
