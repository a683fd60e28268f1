"""The web console for monitoring staff (`casewatch web`): live warnings, explanations,
the closed loop of acknowledge → rectify → verify, the measure board and the big screen."""
