"""The next action of an interview as the service keeps it: computed by the rules engine
from the stored facts, stored on the interview row by every write that can change it
(`refresh`), and served from there while it holds (`stored.servable`)."""
