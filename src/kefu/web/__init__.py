"""The web workplace (`kefu serve`): pages and the JSON API over the store."""
