from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlansConfig(AppConfig):
    name = "yakusho.plans"
    label = "plans"
    verbose_name = _("DX推進計画")

    def ready(self) -> None:
        from yakusho.core.demo import demo_loaded
        from yakusho.plans import audit
        from yakusho.plans.demo import joint_goals as demo_joint_goals
        from yakusho.plans.demo import plans as demo
        from yakusho.plans.joint_goals import panels as _joint_goal_panels  # noqa: F401 - registers on import

        audit.register_models()
        demo_loaded.connect(demo.load_demo_plans, dispatch_uid="plans-demo")
        # after the plans, whose KPIs and observations the demo consortium's goals link
        # (joint_goals.panels registers the consortium page section and the staff-home panel)
        demo_loaded.connect(demo_joint_goals.load_demo_joint_goals, dispatch_uid="joint-goals-demo")
