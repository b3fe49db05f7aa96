"""Grading scales move from the municipality to each plan: every plan of a municipality that had a
scale gets its own copy (the first plan keeps the existing rows), the reviews of each plan point at
their plan's levels, and every edition names its scale."""

import django.db.models.deletion
from django.db import migrations, models


def scales_per_plan(apps, schema_editor):
    ReviewGrade = apps.get_model("plans", "ReviewGrade")
    GradingScale = apps.get_model("plans", "GradingScale")
    Plan = apps.get_model("plans", "Plan")
    PlanEdition = apps.get_model("plans", "PlanEdition")
    NodeReview = apps.get_model("plans", "NodeReview")
    municipalities = ReviewGrade.objects.filter(scale__isnull=True).values_list("municipality_id", flat=True)
    for municipality_id in sorted(set(municipalities)):
        grades = list(ReviewGrade.objects.filter(municipality_id=municipality_id).order_by("order", "pk"))
        plans = list(Plan.objects.filter(municipality_id=municipality_id).order_by("pk"))
        if not plans:
            ReviewGrade.objects.filter(pk__in=[g.pk for g in grades]).delete()
            continue
        name = f"{len(grades)}段階（{'・'.join(g.code for g in grades)}）"
        for i, plan in enumerate(plans):
            scale = GradingScale.objects.create(municipality_id=municipality_id, plan=plan, name=name)
            if i == 0:
                ReviewGrade.objects.filter(pk__in=[g.pk for g in grades]).update(scale=scale)
            else:
                for g in grades:
                    copy = ReviewGrade.objects.create(
                        municipality_id=municipality_id,
                        scale=scale,
                        code=g.code,
                        label=g.label,
                        description=g.description,
                        order=g.order,
                    )
                    NodeReview.objects.filter(cycle__edition__plan=plan, grade=g).update(grade=copy)
            PlanEdition.objects.filter(plan=plan).update(grading_scale=scale)


class Migration(migrations.Migration):
    dependencies = [("plans", "0011_reviews_as_run")]

    operations = [
        migrations.RunPython(scales_per_plan, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="reviewgrade",
            name="scale",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="levels",
                to="plans.gradingscale",
                verbose_name="評価の段階",
            ),
        ),
    ]
