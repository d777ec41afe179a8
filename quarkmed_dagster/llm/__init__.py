"""The LLM gateway. Records in ``types``; ``gateway.LiteLLMGateway`` runs calls through
litellm; ``resource.LLMGatewayResource`` builds gateways inside Dagster assets."""
