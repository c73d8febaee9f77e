from mail.dovecot import dovecot, mail_user

__all__ = ["dovecot", "mail_user"]
