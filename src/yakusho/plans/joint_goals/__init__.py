"""A consortium's joint goals and the members' answers (``services``), their pages (``views``,
``forms``, ``urls``, namespace ``joint_goals``) and the consortium section and staff panel (``panels``)."""
