"""Public payment pages (namespace ``payments``): the municipality's fees and how to pay them."""


app_name = "payments"
urlpatterns: list = []
