terraform {
  # OpenTofu >= 1.6 or Terraform >= 1.6 (tofu test, mock providers need 1.7/1.8; the configuration itself 1.6).
  required_version = ">= 1.6"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 6.0, < 7.0"
    }
  }
}
