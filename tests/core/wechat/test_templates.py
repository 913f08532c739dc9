"""Subscribe-message values fitted to WeChat's field rules."""

from __future__ import annotations

import pytest

from backend.core.wechat import TemplateDataInvalid
from backend.core.wechat.templates import fit_template_data


def test_a_long_thing_is_cut_to_20_with_an_ellipsis_inside_the_limit():
    fitted = fit_template_data({"thing1": "一二三四五六七八九十" * 3})
    assert fitted["thing1"] == "一二三四五六七八九十一二三四五六七八九…"
    assert len(fitted["thing1"]) == 20


def test_a_thing_of_20_is_kept_whole():
    assert fit_template_data({"thing3": "好" * 20}) == {"thing3": "好" * 20}


def test_newlines_become_spaces():
    assert fit_template_data({"thing1": "第一行\n第二行\r\n"}) == {"thing1": "第一行 第二行"}


def test_a_phrase_keeps_only_five_chinese_characters():
    assert fit_template_data({"phrase2": "已处理 OK！完成了吗"}) == {"phrase2": "已处理完成"}


@pytest.mark.parametrize(
    ("value", "fitted"),
    [("张三", "张三"), ("欧阳" * 6, "欧阳" * 5), ("Alexander the Great of Macedon", "Alexander the Great ")],
)
def test_a_name_is_cut_to_ten_chinese_or_twenty_letters(value, fitted):
    assert fit_template_data({"name1": value}) == {"name1": fitted.strip()}


@pytest.mark.parametrize(
    ("key", "value", "fitted"),
    [
        ("number1", "12.5", "12.5"),
        ("letter1", "ABC", "ABC"),
        ("symbol1", "%", "%"),
        ("character_string1", "GZ-2026-0001", "GZ-2026-0001"),
        ("time1", "15:01", "15:01"),
        ("time2", "2019年10月1日 15:01", "2019年10月1日 15:01"),
        ("time3", "15:01~17:30", "15:01~17:30"),
        ("date1", "2019年10月1日", "2019年10月1日"),
        ("date2", "2019-10-01 15:01", "2019-10-01 15:01"),
        ("date3", "2019/10/01~2019/10/03", "2019/10/01~2019/10/03"),
        ("amount1", "¥100.50", "¥100.50"),
        ("amount2", "300元", "300元"),
        ("phone_number1", "138 0000 0000", "13800000000"),
        ("phone_number2", "+86-10-12345678", "+86-10-12345678"),
        ("car_number1", "京A·12345", "京A12345"),
    ],
)
def test_valid_structured_values_pass(key, value, fitted):
    assert fit_template_data({key: value}) == {key: fitted}


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("number1", "十二"),
        ("number2", "1" * 33),
        ("letter1", "AB1"),
        ("symbol1", "%%%%%%"),
        ("character_string1", "工单一"),
        ("time1", "下午三点"),
        ("time2", "25:00"),
        ("date1", "15:01"),
        ("date2", "明天"),
        ("amount1", "¥12345678901"),
        ("phone_number1", "1" * 18),
        ("car_number1", "京A1234567"),
        ("thing1", "  \n "),
        ("phrase1", "done"),
        ("colour1", "红"),
        ("thing", "no number in the key"),
    ],
)
def test_values_that_cannot_be_made_valid_are_refused_by_name(key, value):
    with pytest.raises(TemplateDataInvalid) as caught:
        fit_template_data({"thing9": "好", key: value})
    assert set(caught.value.errors["data"]) == {key}


def test_every_bad_key_is_named_at_once():
    with pytest.raises(TemplateDataInvalid) as caught:
        fit_template_data({"number1": "x", "date2": "y", "thing3": "ok"})
    assert set(caught.value.errors["data"]) == {"number1", "date2"}


def test_fitted_data_is_accepted_by_wechat(wechat, fake_wechat):
    data = fit_template_data(
        {"thing1": "小区东门的路灯已经坏了整整一个星期了\n请尽快修理", "phrase2": "处理中…", "time3": "09:30"}
    )
    wechat.send_subscribe_message(openid="oid-alice", template_id="t", data=data, page=None)
    assert len(fake_wechat.sent) == 1
