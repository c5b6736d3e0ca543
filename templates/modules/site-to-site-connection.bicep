metadata name = 'Site-to-site connection'
metadata description = 'A Local Network Gateway for a real VPN device and the IPsec connection with BGP from the hub VPN gateway to it.'

@export()
@description('A branch that is a real VPN site behind a Local Network Gateway, connected with BGP.')
type siteBranchType = {
  @description('Required. Site name; keys vpnSharedKeys.')
  name: string

  @description('Required. Name of the Local Network Gateway.')
  localNetworkGatewayName: string

  @description('Required. Name of the site-to-site connection.')
  connectionName: string

  @description('Optional. Public IPv4 address of the VPN device; absent when fqdn is given.')
  gatewayIpAddress: string?

  @description('Optional. DNS name of the VPN device; absent when gatewayIpAddress is given.')
  fqdn: string?

  @description('Required. Prefixes behind the VPN device.')
  addressPrefixes: string[]

  @description('Required. BGP ASN of the VPN device.')
  bgpAsn: int

  @description('Required. BGP peer IP of the VPN device.')
  bgpPeeringAddress: string
}

@description('Required. Name of the Local Network Gateway.')
param localNetworkGatewayName string

@description('Required. Name of the connection.')
param connectionName string

@description('Required. Azure region of both resources.')
param location string

@description('Optional. Tags put on both resources.')
param tags object = {}

@description('Optional. Public IPv4 address of the VPN device; null when fqdn is given.')
param gatewayIpAddress string?

@description('Optional. DNS name of the VPN device; null when gatewayIpAddress is given.')
param fqdn string?

@description('Required. Prefixes behind the VPN device.')
param addressPrefixes string[]

@description('Required. BGP ASN of the VPN device.')
param bgpAsn int

@description('Required. BGP peer IP of the VPN device.')
param bgpPeeringAddress string

@description('Required. Resource ID of the hub VPN gateway.')
param vpnGatewayResourceId string

@description('Required. IPsec shared key; the VPN device must use the same.')
@secure()
param sharedKey string

resource localNetworkGateway 'Microsoft.Network/localNetworkGateways@2025-05-01' = {
  name: localNetworkGatewayName
  location: location
  tags: tags
  properties: {
    gatewayIpAddress: gatewayIpAddress
    fqdn: fqdn
    localNetworkAddressSpace: {
      addressPrefixes: addressPrefixes
    }
    bgpSettings: {
      asn: bgpAsn
      bgpPeeringAddress: bgpPeeringAddress
    }
  }
}

resource connection 'Microsoft.Network/connections@2025-05-01' = {
  name: connectionName
  location: location
  tags: tags
  properties: {
    connectionType: 'IPsec'
    connectionProtocol: 'IKEv2'
    virtualNetworkGateway1: {
      id: vpnGatewayResourceId
      properties: {}
    }
    localNetworkGateway2: {
      id: localNetworkGateway.id
      properties: {}
    }
    enableBgp: true
    sharedKey: sharedKey
  }
}

@description('Resource ID of the connection.')
output resourceId string = connection.id

@description('Name of the connection.')
output name string = connection.name

@description('Resource ID of the Local Network Gateway.')
output localNetworkGatewayResourceId string = localNetworkGateway.id
