"""Staff payment pages (mounted under /staff/, namespace ``payments_staff``): the till and the
payments taken (``till_urls``), the daily close (``close_urls``) and the fee catalogue
(``catalogue_urls``)."""

from yakusho.payments import catalogue_urls, close_urls, selfcheckout_urls, till_urls

app_name = "payments_staff"
urlpatterns = [
    *till_urls.urlpatterns,
    *close_urls.urlpatterns,
    *catalogue_urls.urlpatterns,
    *selfcheckout_urls.staff_patterns,
]
