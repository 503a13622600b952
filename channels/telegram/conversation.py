"""The bot's conversation: describe → place or location → photo → phone → confirm; and /status, /my, /language.

Every step but the first can be skipped, nothing is stored before the citizen taps Send, and a
second tap files nothing new. Handlers are built in a factory: a Router joins one Dispatcher only,
and tests and several app instances each need their own.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable

from aiogram import F, Router
from aiogram.filters import Command, CommandObject, CommandStart, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)

from channels.telegram.store import Store
from core.errors import DomainError
from core.i18n import say
from intake.models import MAX_TEXT_CHARS

LANGUAGE_NAMES = {"en": "English", "ne": "नेपाली"}


class Complaint(StatesGroup):
    describing = State()
    place = State()
    photo = State()
    phone = State()
    confirming = State()


def build_router() -> Router:
    """A fresh router with every handler (a router can be included in one Dispatcher only)."""
    router = Router(name="complaints")
    router.message.filter(F.chat.type == "private")
    router.message.register(start, CommandStart())
    router.message.register(new, Command("new"))
    router.message.register(cancel, Command("cancel"))
    router.message.register(status, Command("status"))
    router.message.register(mine, Command("my"))
    router.message.register(language_menu, Command("language"))
    router.message.register(help_text, Command("help"))
    router.callback_query.register(choose_language, F.data.startswith("lang:"))
    router.callback_query.register(survey_button, F.data.startswith("sv:"))
    router.message.register(described, Complaint.describing, F.text)
    router.message.register(placed, Complaint.place, F.location | F.text)
    router.message.register(photographed, Complaint.photo, F.photo | F.text)
    router.message.register(phoned, Complaint.phone, F.contact | F.text)
    router.callback_query.register(confirmed, Complaint.confirming, F.data.in_({"send", "cancel"}))
    router.callback_query.register(stale_button)
    router.message.register(free_text, StateFilter(None), F.text)
    router.message.register(unexpected)
    return router


def _skip(language: str) -> str:
    return say(language, "Skip")


def _skipped(message: Message, language: str) -> bool:
    return (message.text or "").strip().casefold() in {_skip(language).casefold(), "skip", "/skip"}


def _keyboard(*buttons: KeyboardButton) -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(keyboard=[[button] for button in buttons], resize_keyboard=True,
                               one_time_keyboard=True)


async def start(message: Message, state: FSMContext, language: str) -> None:
    await state.clear()
    await message.answer(say(language, "Hello! We pass complaints about public services to the office "
                             "responsible and tell you what it does. /my lists your complaints, /status and a "
                             "number gives news, /language changes the language."))
    await _ask_description(message, state, language)


async def new(message: Message, state: FSMContext, language: str) -> None:
    await state.clear()
    await _ask_description(message, state, language)


async def _ask_description(message: Message, state: FSMContext, language: str) -> None:
    await state.set_state(Complaint.describing)
    await state.update_data(key=secrets.token_hex(12))
    await message.answer(say(language, "Describe the problem in one message: what is wrong, where, and since "
                             "when."), reply_markup=ReplyKeyboardRemove())


async def cancel(message: Message, state: FSMContext, language: str) -> None:
    await state.clear()
    await message.answer(say(language, "Cancelled; nothing was sent. /new starts a complaint."),
                         reply_markup=ReplyKeyboardRemove())


async def help_text(message: Message, language: str) -> None:
    await message.answer(say(language, "Write your complaint in a message and answer a few questions; you get a "
                             "tracking number. /new: a new complaint. /my: your complaints. /status and a number: "
                             "news. /language: language. /cancel: stop."))


async def described(message: Message, state: FSMContext, language: str) -> None:
    text = (message.text or "").strip()
    if len(text) > MAX_TEXT_CHARS:
        await message.answer(say(language, "That is longer than {limit} characters; please shorten it.",
                                 limit=f"{MAX_TEXT_CHARS:,}"))
        return
    await state.update_data(text=text)
    await state.set_state(Complaint.place)
    await message.answer(say(language, "Where is it? Type the place (village, ward, street) or share your "
                             "location."),
                         reply_markup=_keyboard(KeyboardButton(text=say(language, "Share my location"),
                                                               request_location=True),
                                                KeyboardButton(text=_skip(language))))


async def placed(message: Message, state: FSMContext, language: str) -> None:
    if message.location is not None:
        place = f"{message.location.latitude:.5f}, {message.location.longitude:.5f}"
    elif _skipped(message, language):
        place = None
    else:
        place = " ".join((message.text or "").split())[:500] or None
    await state.update_data(place=place)
    await state.set_state(Complaint.photo)
    await message.answer(say(language, "Send a photo if it helps, or skip."),
                         reply_markup=_keyboard(KeyboardButton(text=_skip(language))))


async def photographed(message: Message, state: FSMContext, language: str) -> None:
    if message.photo:
        await state.update_data(photo=message.photo[-1].file_id)  # the largest size
    elif not _skipped(message, language):
        await message.answer(say(language, "Please send a photo, or skip."))
        return
    await state.set_state(Complaint.phone)
    await message.answer(say(language, "Share your phone number? The office can then call you, and complaints "
                             "you sent by SMS are kept together. It is optional."),
                         reply_markup=_keyboard(KeyboardButton(text=say(language, "Share my phone number"),
                                                               request_contact=True),
                                                KeyboardButton(text=_skip(language))))


async def phoned(message: Message, state: FSMContext, language: str, store: Store) -> None:
    if message.contact is not None:
        if message.contact.user_id != message.chat.id:  # only a number Telegram vouches is the user's own
            await message.answer(say(language, "Please share your own number with the button, or skip."))
            return
        try:
            phone = await asyncio.to_thread(store.link_phone, message.chat.id, message.contact.phone_number)
        except DomainError:
            await message.answer(say(language, "We could not read that number; you can skip this step."))
            return
        await state.update_data(phone=phone)
    elif not _skipped(message, language):
        await message.answer(say(language, "Please use the button to share your number, or skip."))
        return
    await state.set_state(Complaint.confirming)
    await _summary(message, state, language)


async def _summary(message: Message, state: FSMContext, language: str) -> None:
    data = await state.get_data()
    lines = [say(language, "Please check your complaint:"), "", data.get("text", "")]
    lines.append(say(language, "Place: {place}", place=data.get("place") or "-"))
    if data.get("photo"):
        lines.append(say(language, "With a photo."))
    if data.get("phone"):
        lines.append(say(language, "Phone: {phone}", phone=data["phone"]))
    await message.answer(say(language, "Thank you."), reply_markup=ReplyKeyboardRemove())
    await message.answer("\n".join(lines), reply_markup=InlineKeyboardMarkup(inline_keyboard=[[
        InlineKeyboardButton(text=say(language, "Send"), callback_data="send"),
        InlineKeyboardButton(text=say(language, "Cancel"), callback_data="cancel")]]))


async def confirmed(callback: CallbackQuery, state: FSMContext, language: str, store: Store,
                    wake: Callable[[], None]) -> None:
    data = await state.get_data()
    if callback.data == "cancel":
        await state.clear()
        await callback.answer()
        await _edit(callback, say(language, "Cancelled; nothing was sent. /new starts a complaint."))
        return
    user = callback.from_user
    try:
        filed = await asyncio.to_thread(store.file, chat_id=user.id, key=data["key"], text=data["text"],
                                        place=data.get("place"), photo=data.get("photo"),
                                        name=user.full_name[:200] or None, language=language)
    except DomainError:
        await callback.answer()
        await _edit(callback, say(language, "Sorry, we could not accept this complaint. /new starts again."))
        await state.clear()
        return
    await state.clear()
    wake()  # the acknowledgement with the office's name is in the outbox
    await callback.answer(say(language, "Sent"))
    text = say(language, "Sent. Your tracking number is {tracking}.", tracking=filed.tracking)
    if filed.secret:
        text += "\n" + say(language, "To follow it on the web tracking page you also need this secret code: {secret}. "
                           "Keep it to yourself.", secret=filed.secret)
    await _edit(callback, text)


async def _edit(callback: CallbackQuery, text: str) -> None:
    """Replace the summary with the outcome, so its buttons cannot be tapped again."""
    if isinstance(callback.message, Message):
        await callback.message.edit_text(text, reply_markup=None)
    else:  # the message is too old for Telegram to show; write a new one
        await callback.bot.send_message(callback.from_user.id, text)


async def stale_button(callback: CallbackQuery, language: str) -> None:
    await callback.answer(say(language, "This button is no longer active. /new starts a complaint."))


async def status(message: Message, command: CommandObject, language: str, store: Store) -> None:
    if not command.args:
        await mine(message, language, store)
        return
    await message.answer(await asyncio.to_thread(store.status, message.chat.id, command.args.strip(), language))


async def mine(message: Message, language: str, store: Store) -> None:
    lines = await asyncio.to_thread(store.mine, message.chat.id, language)
    if not lines:
        await message.answer(say(language, "You have no complaints with us yet. Describe your problem in a "
                                 "message to start one."))
        return
    await message.answer("\n".join([say(language, "Your complaints:"), *lines,
                                    say(language, "/status and a number gives news.")]))


async def language_menu(message: Message, languages: tuple[str, ...]) -> None:
    buttons = [InlineKeyboardButton(text=LANGUAGE_NAMES.get(code, code), callback_data=f"lang:{code}")
               for code in languages]
    await message.answer(" / ".join(say(code, "Choose your language") for code in languages),
                         reply_markup=InlineKeyboardMarkup(inline_keyboard=[buttons]))


async def choose_language(callback: CallbackQuery, languages: tuple[str, ...], store: Store) -> None:
    code = (callback.data or "").removeprefix("lang:")
    if code not in languages:
        await callback.answer()
        return
    await asyncio.to_thread(store.set_language, callback.from_user.id, code)
    await callback.answer()
    await _edit(callback, say(code, "We will write to you in English."))


async def free_text(message: Message, state: FSMContext, language: str, store: Store,
                    wake: Callable[[], None]) -> None:
    """Outside a conversation: the answer an office asked for, or else the start of a new complaint."""
    text = (message.text or "").strip()
    if text.startswith("/"):  # a command the bot does not know
        await help_text(message, language)
        return
    surveyed = await asyncio.to_thread(store.survey_reply, message.chat.id, text)
    if surveyed.taken:
        wake()
        if surveyed.reply:
            await message.answer(surveyed.reply, reply_markup=inline_keyboard(surveyed.buttons))
        return
    try:
        answered = await asyncio.to_thread(store.answer_office, message.chat.id, text)
    except DomainError:
        answered = None
    if answered is not None:
        wake()
        await message.answer(say(language, "Added to your complaint {tracking}. The office has it. /new starts "
                                 "a different complaint.", tracking=answered))
        return
    await state.set_state(Complaint.describing)
    await state.update_data(key=secrets.token_hex(12))
    await described(message, state, language)


async def survey_button(callback: CallbackQuery, language: str, store: Store, wake: Callable[[], None]) -> None:
    """A tap on a survey's answer button (sent by the surveys job: 1 to 5, yes or no)."""
    _, survey_id, value = (callback.data or "").split(":", 2) if (callback.data or "").count(":") == 2 else ("", "", "")
    if not survey_id.isdigit():
        await callback.answer()
        return
    taken = await asyncio.to_thread(store.survey_reply, callback.from_user.id, value, survey_id=int(survey_id),
                                    from_button=True)
    if not taken.taken:
        await callback.answer(say(language, "This survey is closed. Thank you."))
        return
    wake()
    await callback.answer(say(language, "Thank you."))
    if isinstance(callback.message, Message):
        await callback.message.edit_reply_markup(reply_markup=None)  # a question is answered once
    if taken.reply:
        await callback.bot.send_message(callback.from_user.id, taken.reply, reply_markup=inline_keyboard(taken.buttons))


def inline_keyboard(buttons: list[list[str]] | None) -> InlineKeyboardMarkup | None:
    """One row of inline buttons from [text, callback data] pairs (as the outbox stores them)."""
    if not buttons:
        return None
    return InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text=text[:64], callback_data=data[:64])
                                                  for text, data in buttons]])


async def unexpected(message: Message, state: FSMContext, language: str) -> None:
    """A sticker, a voice note, a file, or the wrong kind of answer for the current step."""
    if await state.get_state() is None:
        await message.answer(say(language, "Please write your complaint as text. /help explains the commands."))
    else:
        await message.answer(say(language, "Please answer with text or the buttons, or /cancel."))
