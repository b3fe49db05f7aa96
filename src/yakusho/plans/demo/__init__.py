"""The plans app's demo data, kept out of the runtime modules: the five source plans (``plans``),
the demo reviews (``reviews``), the demo consortium's joint goals (``joint_goals``) and the
synthetic plans of the benchmarks and query-count tests (``synthetic``). Each loader answers
``core.demo.demo_loaded``."""
