"""Journeys and after-sales SOPs: a trigger enrols customers, steps wait, branch and act."""
