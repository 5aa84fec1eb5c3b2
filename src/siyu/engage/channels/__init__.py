"""Every outbound channel implements `siyu.engage.channels.base.Channel`."""
