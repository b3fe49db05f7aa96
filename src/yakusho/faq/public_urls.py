"""Public FAQ pages and the chat (namespace ``faq``)."""

from django.urls import path

from yakusho.faq import chat, views

M = "m/<slug:municipality>/faq/"

app_name = "faq"
urlpatterns = [
    path(M, views.FaqHomeView.as_view(), name="home"),
    path(M + "chat/", chat.ChatView.as_view(), name="chat"),
    path(M + "chat/feedback/<int:query>/", chat.FeedbackView.as_view(), name="feedback"),
    path(M + "ask/", chat.AskView.as_view(), name="ask"),
    path(M + "ask/sent/<str:code>/", chat.AskSentView.as_view(), name="ask_sent"),
    path(M + "c/<int:category>/", views.CategoryView.as_view(), name="category"),
    path(M + "<str:kind>/<slug:key>/", views.EntryView.as_view(), name="entry"),
]
