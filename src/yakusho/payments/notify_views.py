"""The payment providers' server-to-server notifications (docs/payments.md "Online payment").

No session, no CSRF token (the provider is not a browser): the notification proves itself by its
signature, and nothing in it is trusted beyond which checkout it names — the provider is then asked
for that checkout's state (``services.handle_notification``). Answers: 200 when applied or for an
unknown checkout (so the provider stops retrying), 400 for a bad signature or a tampered amount,
503 when the provider cannot be asked back (so it retries).
"""

from __future__ import annotations

import logging
from typing import Any

from django.http import HttpRequest, JsonResponse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from yakusho.payments import services
from yakusho.payments.providers.base import InvalidNotification, ProviderError

logger = logging.getLogger(__name__)

#: a notification is a small JSON document; anything larger is not one
MAX_BODY = 64 * 1024


@method_decorator(csrf_exempt, name="dispatch")
class NotificationView(View):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
        provider = str(kwargs["provider"])[:40]
        body = request.body[: MAX_BODY + 1]
        if len(body) > MAX_BODY:
            return JsonResponse({"error": "notification too large"}, status=400)
        headers = {name.lower(): value for name, value in request.headers.items()}
        try:
            result = services.handle_notification(provider, headers, body)
        except InvalidNotification as exc:
            logger.warning("payment notification refused (%s): %s", provider, exc)
            return JsonResponse({"error": "invalid notification"}, status=400)
        except services.NotificationRefused as exc:
            logger.warning("payment notification refused (%s): %s", provider, exc.message)
            return JsonResponse({"error": "amount or currency does not match"}, status=400)
        except ProviderError as exc:
            logger.warning("payment provider %s could not be asked back: %s", provider, exc)
            return JsonResponse({"error": "try again later"}, status=503)
        return JsonResponse({"result": result})
