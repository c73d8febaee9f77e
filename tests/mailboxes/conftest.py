from mail.dovecot import dovecot, mail_settings, mail_user

__all__ = ["dovecot", "mail_settings", "mail_user"]
