"""A consortium's joint goals and the members' answers (docs/joint-goals.md).

The rules, each module importing only those listed before it: ``targets`` (the shared
``JointGoalError`` and checks, the direction, the final and yearly targets), ``goals`` (editing
goals and their items), ``answers`` (members' answers and the choices offered for them),
``standing`` (the members side by side), ``export`` (a goal's member table for CSV and Excel) and
``files`` (loading goals files). Their pages: ``views``, ``forms``, ``urls`` (namespace
``joint_goals``); the consortium section and staff panel: ``panels``."""
