metadata name = 'Public IP address'
metadata description = 'A Standard, Static, zone-redundant IPv4 public IP: what AZ gateway SKUs, Route Server and a zonal Azure Firewall require.'

@description('Required. Name of the public IP.')
param name string

@description('Required. Azure region of the public IP.')
param location string

@description('Optional. Tags put on the public IP.')
param tags object = {}

resource publicIp 'Microsoft.Network/publicIPAddresses@2025-05-01' = {
  name: name
  location: location
  tags: tags
  // AZ gateway SKUs refuse public IPs without zones, and a zonal firewall needs them in its zones.
  zones: ['1', '2', '3']
  sku: {
    name: 'Standard'
    tier: 'Regional'
  }
  properties: {
    publicIPAllocationMethod: 'Static'
    publicIPAddressVersion: 'IPv4'
  }
}

@description('Resource ID of the public IP.')
output resourceId string = publicIp.id

@description('Name of the public IP.')
output name string = publicIp.name

@description('The public IP address.')
output ipAddress string = publicIp.properties.ipAddress
