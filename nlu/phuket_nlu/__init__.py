"""Custom Rasa components of the Phuket safety NLU model."""
