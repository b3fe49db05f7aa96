import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0002_office_hours_policy_pages"),
        ("procedures", "0003_reader_settings"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="FormDraft",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("definition", models.JSONField(verbose_name="定義（JSON）")),
                (
                    "based_on_version",
                    models.PositiveIntegerField(
                        blank=True,
                        help_text="空欄はまだ版のないフォーム",
                        null=True,
                        verbose_name="元にした版",
                    ),
                ),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="更新日時")),
                (
                    "municipality",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="core.municipality",
                        verbose_name="団体",
                    ),
                ),
                (
                    "procedure",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="form_draft",
                        to="procedures.procedure",
                        verbose_name="手続",
                    ),
                ),
                (
                    "updated_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="更新者",
                    ),
                ),
            ],
            options={
                "verbose_name": "フォームの下書き",
                "verbose_name_plural": "フォームの下書き",
                "ordering": ["municipality", "procedure"],
            },
        ),
    ]
