"""The procedures app's models, one module per area: the catalogue (procedures, channels, form
definitions), submissions and the staff inbox, the counter's visits, the form designer's drafts and
the card-reader switches. Import them from here (``yakusho.procedures.models``)."""

from yakusho.procedures.models.catalogue import *  # noqa: F403
from yakusho.procedures.models.counter import *  # noqa: F403
from yakusho.procedures.models.designer import *  # noqa: F403
from yakusho.procedures.models.readers import *  # noqa: F403
from yakusho.procedures.models.submissions import *  # noqa: F403
