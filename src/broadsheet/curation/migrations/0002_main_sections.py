from django.db import migrations
from django.utils.text import slugify

MAIN_SECTIONS = ("World", "Politics", "Business", "Technology", "Science", "Sport", "Culture")


def add_main_sections(apps, schema_editor):
    Section = apps.get_model("curation", "Section")
    for position, name in enumerate(MAIN_SECTIONS):
        Section.objects.get_or_create(name=name, defaults={"slug": slugify(name),
                                                           "position": position})


class Migration(migrations.Migration):
    dependencies = [("curation", "0001_initial")]
    operations = [migrations.RunPython(add_main_sections, migrations.RunPython.noop)]
