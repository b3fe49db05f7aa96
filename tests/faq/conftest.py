"""A small town with its own FAQ file, independent of the demo's content."""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories import DepartmentFactory, MunicipalityFactory
from tests.procedures.helpers import make_procedure
from yakusho.core.models import Consortium, Municipality
from yakusho.core.models.tenancy import ConsortiumKind
from yakusho.faq import search as faq_search
from yakusho.faq.files import import_text

TOWN_FILE = """\
municipality: {slug}
demo: true
categories:
  - name: 住民票・印鑑・戸籍
    subcategories: [住民票, 印鑑登録, 戸籍]
  - name: ごみ
    subcategories: [粗大ごみ, 分け方]
  - name: マイナンバーカード
    subcategories: [申請・更新]
entries:
  - key: juminhyo
    category: 住民票・印鑑・戸籍
    subcategory: 住民票
    question: 住民票の写しはどこで取れますか？
    phrasings: [住民票がほしい, 住民票 取り方]
    answer: |-
      役場1階の町民課の窓口で取れます。手数料は1通300円です。
      - 本人確認書類（運転免許証など）をお持ちください
    department: 町民課
    procedures: [juminhyo-koufu]
  - key: inkan
    category: 住民票・印鑑・戸籍
    subcategory: 印鑑登録
    question: 印鑑登録証明書がほしい
    phrasings: [印鑑証明 取りたい]
    answer: 印鑑登録証（カード）を持って町民課の窓口へお越しください。
    department: 町民課
  - key: koseki
    category: 住民票・印鑑・戸籍
    subcategory: 戸籍
    question: 戸籍謄本はどこで取れますか？
    answer: 本籍地の役場で取れます。戸籍の広域交付も使えます。
    department: 町民課
  - key: sodai
    category: ごみ
    subcategory: 粗大ごみ
    question: 粗大ごみはどうやって出しますか？
    phrasings: [大きいごみを捨てたい]
    answer: 収集日の1週間前までに申し込んでください。
    department: 環境課
  - key: bunbetsu
    category: ごみ
    subcategory: 分け方
    question: 缶とびんの分け方を教えてください
    answer: 缶とびんは別々の袋に入れて、資源ごみの日に出してください。
    department: 環境課
  - key: staff-note
    category: ごみ
    question: 収集業者への連絡方法（職員用）
    answer: 業務用の連絡先一覧を見てください。
    visibility: staff
  - key: old-campaign
    category: ごみ
    question: 去年のごみ袋の無料配布はいつですか？
    answer: 終わりました。
    valid_to: 2020-03-31
"""

SHARED_FILE = """\
consortium: {slug}
demo: true
entries:
  - key: mynumber-koushin
    category: マイナンバーカード
    subcategory: 申請・更新
    question: マイナンバーカードの更新はいつですか？
    phrasings: [マイナンバーカード 期限]
    answer: カードの有効期限の3か月前から更新できます。お住まいの市町村の窓口で手続きしてください。
"""


@pytest.fixture
def town(db: None) -> Municipality:
    faq_search.clear()
    town = MunicipalityFactory(slug="faqtown", name="問答町", phone="0187-00-0000")
    chomin = DepartmentFactory(municipality=town, name="町民課", phone="0187-00-1001")
    DepartmentFactory(municipality=town, name="環境課")
    make_procedure(
        town,
        chomin,
        "juminhyo-koufu",
        "住民票の写しの交付申請",
        kana="じゅうみんひょうのうつしのこうふしんせい",
    )
    return town


@pytest.fixture
def town_faq(town: Municipality, django_capture_on_commit_callbacks: Any) -> Municipality:
    with django_capture_on_commit_callbacks(execute=True):
        import_text(TOWN_FILE.format(slug=town.slug), "faqtown.yaml")
    return town


@pytest.fixture
def consortium(town_faq: Municipality, django_capture_on_commit_callbacks: Any) -> Consortium:
    group = Consortium.objects.create(slug="faqkumiai", name="問答電算組合", kind=ConsortiumKind.DENSAN)
    group.members.add(town_faq)
    with django_capture_on_commit_callbacks(execute=True):
        import_text(SHARED_FILE.format(slug=group.slug), "faqkumiai.yaml")
    return group
