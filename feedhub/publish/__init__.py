"""Publishing: select a topic's stories and render them as feeds."""
