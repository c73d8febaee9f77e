"""followup: the next follow-up action after a job interview, and when."""
