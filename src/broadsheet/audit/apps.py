from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "broadsheet.audit"
    label = "audit"
    verbose_name = "Editorial audit log"
