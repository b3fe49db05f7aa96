"""Staff FAQ pages (mounted under /staff/, namespace ``faq_staff``): the analysis, the entries and
their import and export, the synonyms, and the questions residents left."""

from django.urls import path

from yakusho.faq import staff_analysis, staff_entries, staff_questions

M = "m/<slug:municipality>/faq/"

app_name = "faq_staff"
urlpatterns = [
    # the analysis of what residents ask (faq.staff_analysis)
    path(M, staff_analysis.AnalysisView.as_view(), name="analysis"),
    path(M + "analysis.xlsx", staff_analysis.AnalysisExportView.as_view(), name="analysis_export"),
    # the knowledge base (faq.staff_entries)
    path(M + "entries/", staff_entries.EntryListView.as_view(), name="entries"),
    path(M + "entries/new/", staff_entries.EntryFormView.as_view(), name="entry_create"),
    path(M + "entries/<int:pk>/edit/", staff_entries.EntryFormView.as_view(), name="entry_edit"),
    path(M + "entries/export.<str:fmt>", staff_entries.EntryExportView.as_view(), name="entries_export"),
    path(M + "entries/import/", staff_entries.EntryImportView.as_view(), name="entries_import"),
    path(M + "shared/<int:pk>/local/", staff_entries.OverrideFormView.as_view(), name="override_edit"),
    path(M + "synonyms/", staff_entries.SynonymListView.as_view(), name="synonyms"),
    path(M + "synonyms/<int:pk>/delete/", staff_entries.SynonymDeleteView.as_view(), name="synonym_delete"),
    # questions residents left (faq.staff_questions)
    path(M + "questions/", staff_questions.QuestionListView.as_view(), name="questions"),
    path(M + "questions/<int:pk>/", staff_questions.QuestionView.as_view(), name="question"),
    path(
        M + "questions/<int:pk>/to-entry/",
        staff_questions.QuestionToEntryView.as_view(),
        name="question_to_entry",
    ),
]
