"""The Telegram bot: an aiogram Dispatcher fed by webhook or long polling, and its outbox gateway."""
