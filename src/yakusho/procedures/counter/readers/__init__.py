"""Card-reader adapters: how the counter learns who the resident is (氏名・住所・生年月日・性別).

Adapters are plugins: a subclass of :class:`~yakusho.procedures.counter.readers.base.CardReader`
registered with :data:`~yakusho.procedures.counter.readers.registry.registry`; each municipality
enables them one by one (:class:`~yakusho.procedures.models.readers.ReaderSetting`). See
docs/counter-readers.md.
"""
